package dev.longctx.gateway.config;

import dev.longctx.gateway.upstream.UpstreamClients;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.codec.ServerCodecConfigurer;
import org.springframework.web.reactive.config.WebFluxConfigurer;

@Configuration(proxyBeanMethods = false)
public class WebConfig implements WebFluxConfigurer {
    /** A 1M-token prompt as text or as a token-id list is several MB; the 256 KB default would refuse it. */
    @Override
    public void configureHttpMessageCodecs(ServerCodecConfigurer configurer) {
        configurer.defaultCodecs().maxInMemorySize(UpstreamClients.MAX_BODY_BYTES);
    }
}
