package dev.longctx.inferenceservice.metrics;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** vLLM serves Prometheus text on /metrics; scrape configs written for it expect that path. */
@RestController
class PrometheusMetricsController {

    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final PrometheusMeterRegistry registry;

    PrometheusMetricsController(PrometheusMeterRegistry registry) {
        this.registry = registry;
    }

    @GetMapping(path = "/metrics", produces = PROMETHEUS_TEXT)
    String metrics() {
        return registry.scrape();
    }
}
