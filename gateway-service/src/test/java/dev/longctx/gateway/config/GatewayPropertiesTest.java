package dev.longctx.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;

/** A gateway with nonsensical settings must refuse to start rather than misbehave under load. */
class GatewayPropertiesTest {
    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties(GatewayProperties.class)
    static class Bind {}

    private final ApplicationContextRunner runner = new ApplicationContextRunner().withUserConfiguration(Bind.class);

    @Test
    void defaultsBind() {
        runner.run(context -> {
            GatewayProperties properties = context.getBean(GatewayProperties.class);
            assertThat(properties.backends()).containsExactly(GatewayProperties.DEFAULT_BACKEND);
            assertThat(properties.discovery().enabled()).isFalse();
            assertThat(properties.apiKeys()).isEmpty();
            assertThat(properties.firstTokenTimeout()).isEqualTo(Duration.ofMinutes(30));
            assertThat(properties.circuitBreaker().openDuration()).isEqualTo(Duration.ofSeconds(10));
        });
    }

    @Test
    void kebabCaseSettingsBind() {
        runner.withPropertyValues(
                        "longctx.gateway.backends=http://a:1,http://b:2",
                        "longctx.gateway.api-keys=k1,k2",
                        "longctx.gateway.rate-limit=2.5",
                        "longctx.gateway.idle-timeout=5s",
                        "longctx.gateway.max-queue=64")
                .run(context -> {
                    GatewayProperties properties = context.getBean(GatewayProperties.class);
                    assertThat(properties.backends()).extracting(Object::toString).containsExactly("http://a:1", "http://b:2");
                    assertThat(properties.apiKeys()).containsExactly("k1", "k2");
                    assertThat(properties.rateLimit()).isEqualTo(2.5);
                    assertThat(properties.idleTimeout()).isEqualTo(Duration.ofSeconds(5));
                    assertThat(properties.maxQueue()).isEqualTo(64);
                });
    }

    @Test
    void discoveryReplacesTheDefaultBackendAndTakesHostAndPort() {
        runner.withPropertyValues("longctx.gateway.discovery.dns=inference-pool.longctx.svc.cluster.local:8002")
                .run(context -> {
                    GatewayProperties properties = context.getBean(GatewayProperties.class);
                    assertThat(properties.backends()).isEmpty();
                    assertThat(properties.discovery().host()).isEqualTo("inference-pool.longctx.svc.cluster.local");
                    assertThat(properties.discovery().port()).isEqualTo(8002);
                    assertThat(properties.discovery().interval()).isEqualTo(Duration.ofSeconds(5));
                });
        runner.withPropertyValues("longctx.gateway.discovery.dns=", "longctx.gateway.backends=http://a:1")
                .run(context -> assertThat(context.getBean(GatewayProperties.class).discovery().enabled()).isFalse());
        for (String bad : new String[] {"inference-pool", "inference-pool:", "http://inference-pool:8002",
                "inference-pool:0", "inference-pool:70000", "-pool:8002", "pool:8002/x"}) {
            runner.withPropertyValues("longctx.gateway.discovery.dns=" + bad)
                    .run(context -> assertThat(context).as(bad).hasFailed());
        }
        runner.withPropertyValues("longctx.gateway.discovery.dns=pool:8002", "longctx.gateway.discovery.interval=0s")
                .run(context -> assertThat(context).hasFailed());
    }

    @Test
    void invalidSettingsFailStartup() {
        runner.withPropertyValues("longctx.gateway.rate-limit=-1").run(context -> assertThat(context).hasFailed());
        runner.withPropertyValues("longctx.gateway.max-attempts=0").run(context -> assertThat(context).hasFailed());
        runner.withPropertyValues("longctx.gateway.model-name= ").run(context -> assertThat(context).hasFailed());
    }
}
