package dev.longctx.gateway.routing;

import dev.longctx.gateway.kvindex.KvIndexClient;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The one {@link BackendSelector}, as {@code longctx.gateway.routing.policy} says. */
@Configuration(proxyBeanMethods = false)
class RoutingConfiguration {

    @Bean
    BackendSelector backendSelector(RoutingProperties properties, BackendRegistry registry, BackendLoads loads,
                                    KvIndexClient index, MeterRegistry meters) {
        return switch (properties.policy()) {
            case ROUND_ROBIN -> new RoundRobinBackendSelector(registry);
            case KV_AWARE -> new KvAwareBackendSelector(registry, loads, index, properties, meters);
        };
    }
}
