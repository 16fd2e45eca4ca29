package dev.longctx.inferenceservice.generate;

import dev.longctx.common.wire.BodyLimits;
import dev.longctx.inferenceservice.engine.ModelFacts;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.codec.ServerCodecConfigurer;
import org.springframework.web.reactive.config.WebFluxConfigurer;

/**
 * The one place this service bounds a request: the body limit follows the model's context length (a prompt of
 * max_position_embeddings packed ids fits, see {@link BodyLimits}), and a body that stops arriving closes its
 * connection instead of holding it forever.
 */
@Configuration(proxyBeanMethods = false)
class RequestLimitsConfiguration implements WebFluxConfigurer {
    /** When config.json is unreadable: room for a 1M-token context. */
    private static final int FALLBACK_CONTEXT = 1 << 20;

    private final RequestBodyLimit limit;

    RequestLimitsConfiguration(ModelFacts model, GenerateProperties properties) {
        int context = model.maxPositionEmbeddings() != null ? model.maxPositionEmbeddings() : FALLBACK_CONTEXT;
        this.limit = new RequestBodyLimit(BodyLimits.asCodecLimit(properties.maxBodyBytes() > 0
                ? properties.maxBodyBytes() : BodyLimits.internalBody(context)));
    }

    @Override
    public void configureHttpMessageCodecs(ServerCodecConfigurer configurer) {
        configurer.defaultCodecs().maxInMemorySize(limit.bytes());
    }

    @Bean
    RequestBodyLimit requestBodyLimit() {
        return limit;
    }

    @Bean
    NettyServerCustomizer requestBodyTimeouts(GenerateProperties properties) {
        return server -> server.readTimeout(properties.bodyReadTimeout()).requestTimeout(properties.bodyTimeout());
    }
}
