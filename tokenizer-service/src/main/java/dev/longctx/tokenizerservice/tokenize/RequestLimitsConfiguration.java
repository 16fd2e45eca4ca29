package dev.longctx.tokenizerservice.tokenize;

import dev.longctx.common.wire.BodyLimits;
import dev.longctx.tokenizerservice.model.ModelMetadata;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.codec.ServerCodecConfigurer;
import org.springframework.web.reactive.config.WebFluxConfigurer;

/**
 * The one place this service bounds a request: its body size follows max_model_len (a prompt of the whole
 * context fits, see {@link BodyLimits}), and a body that stops arriving closes its connection instead of
 * holding it forever.
 */
@Configuration(proxyBeanMethods = false)
class RequestLimitsConfiguration implements WebFluxConfigurer {
    private final int maxBodyBytes;

    RequestLimitsConfiguration(ModelMetadata model, TokenizeProperties properties) {
        this.maxBodyBytes = BodyLimits.asCodecLimit(properties.maxBodyBytes() > 0
                ? properties.maxBodyBytes() : BodyLimits.internalBody(model.maxModelLen()));
    }

    @Override
    public void configureHttpMessageCodecs(ServerCodecConfigurer configurer) {
        configurer.defaultCodecs().maxInMemorySize(maxBodyBytes);
    }

    @Bean
    RequestBodyLimit requestBodyLimit() {
        return new RequestBodyLimit(maxBodyBytes);
    }

    @Bean
    NettyServerCustomizer requestBodyTimeouts(TokenizeProperties properties) {
        return server -> server.readTimeout(properties.bodyReadTimeout()).requestTimeout(properties.bodyTimeout());
    }
}
