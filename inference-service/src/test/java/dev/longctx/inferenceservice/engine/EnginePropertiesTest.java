package dev.longctx.inferenceservice.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.longctx.engine.EngineOptions;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

class EnginePropertiesTest {

    @Test
    void longctxEnginePropertiesMapOntoEngineOptions() {
        EngineOptions options = bind(Map.of(
                "longctx.engine.max-num-batched-tokens", "512",
                "longctx.engine.kv-cache-blocks", "100",
                "longctx.engine.block-size", "32",
                "longctx.engine.threads", "3",
                "longctx.engine.dca", "false",
                "longctx.engine.sparse", "false",
                "longctx.engine.sparse-threshold", "1000",
                "longctx.engine.sparse-config", "/models/sparse.json")).toEngineOptions();

        assertThat(options).isEqualTo(new EngineOptions(512, 32, 0, 100, 3, false, false, 1000,
                Path.of("/models/sparse.json")));
    }

    @Test
    void unsetPropertiesKeepTheEngineDefaults() {
        EngineProperties properties = bind(Map.of("longctx.engine.max-waiting", "8"));

        assertThat(properties.toEngineOptions()).isEqualTo(EngineOptions.defaults());
        assertThat(properties.maxWaitingOrUnbounded()).isEqualTo(8);
    }

    private static EngineProperties bind(Map<String, String> values) {
        return new Binder(new MapConfigurationPropertySource(values))
                .bindOrCreate("longctx.engine", EngineProperties.class);
    }
}
