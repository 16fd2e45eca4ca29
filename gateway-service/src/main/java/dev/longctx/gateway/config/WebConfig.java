package dev.longctx.gateway.config;

import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
public class WebConfig {
    /**
     * A request body that stops arriving (or trickles in forever) closes its connection instead of holding it:
     * {@code body-read-timeout} between two reads, {@code body-timeout} for the whole body. Bodies themselves are
     * read by {@code RequestBodyReader}, whose limit follows max_model_len.
     */
    @Bean
    NettyServerCustomizer requestBodyTimeouts(GatewayProperties properties) {
        return server -> server.readTimeout(properties.bodyReadTimeout()).requestTimeout(properties.bodyTimeout());
    }
}
