package dev.longctx.inferenceservice.engine;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * "model" in the readiness group (application.yml). Spring publishes ACCEPTING_TRAFFIC as soon as the context
 * is up, long before a large model has loaded; this indicator holds readiness down until the engine exists.
 */
@Component("model")
class ModelHealthIndicator implements HealthIndicator {

    private final EngineHost host;

    ModelHealthIndicator(EngineHost host) {
        this.host = host;
    }

    @Override
    public Health health() {
        return switch (host.state()) {
            case READY -> Health.up().withDetail("model", host.servedModelName()).build();
            case LOADING -> Health.outOfService().withDetail("model", host.servedModelName())
                    .withDetail("state", "loading").build();
            case FAILED -> Health.down().withDetail("model", host.servedModelName())
                    .withDetail("error", host.failure().orElse("unknown")).build();
        };
    }
}
