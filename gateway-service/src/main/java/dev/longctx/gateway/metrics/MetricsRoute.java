package dev.longctx.gateway.metrics;

import static org.springframework.web.reactive.function.server.RequestPredicates.GET;
import static org.springframework.web.reactive.function.server.RouterFunctions.route;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/** GET /metrics in Prometheus text format, where vLLM serves it (actuator's copy stays at /actuator/prometheus). */
@Configuration(proxyBeanMethods = false)
public class MetricsRoute {
    static final MediaType PROMETHEUS_TEXT = MediaType.parseMediaType("text/plain; version=0.0.4; charset=utf-8");

    @Bean
    RouterFunction<ServerResponse> metricsRouter(PrometheusMeterRegistry registry) {
        return route(GET("/metrics"), request -> Mono.fromCallable(registry::scrape)
                // Scraping walks every meter; keep it off the event loop.
                .subscribeOn(Schedulers.boundedElastic())
                .flatMap(text -> ServerResponse.ok().contentType(PROMETHEUS_TEXT).bodyValue(text)));
    }
}
