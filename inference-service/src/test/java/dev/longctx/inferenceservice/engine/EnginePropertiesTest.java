package dev.longctx.inferenceservice.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.longctx.engine.EngineOptions;
import dev.longctx.engine.attention.DcaScaleRule;
import dev.longctx.engine.backend.ComputeDtype;
import dev.longctx.engine.backend.Device;
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
                "longctx.engine.sparse-config", "/models/sparse.json",
                "longctx.engine.device", "cpu",
                "longctx.engine.dca-scale", "request")).toEngineOptions();

        assertThat(options).isEqualTo(new EngineOptions(512, 32, 0, 100, 3, false, false, 1000,
                Path.of("/models/sparse.json"), Device.CPU, DcaScaleRule.REQUEST));
        assertThat(bind(Map.of("longctx.engine.gpu-memory-utilization", "0.5")).toEngineOptions().gpuMemoryUtilization())
                .isEqualTo(0.5);
        assertThat(bind(Map.of("longctx.engine.dtype", "float32")).toEngineOptions().dtype()).isEqualTo(ComputeDtype.FLOAT32);
        assertThat(bind(Map.of("longctx.engine.enforce-eager", "true")).toEngineOptions().enforceEager()).isTrue();
    }

    @Test
    void unsetPropertiesKeepTheEngineDefaultsOnTheDeviceAutoPicks() {
        EngineProperties properties = bind(Map.of("longctx.engine.max-waiting", "8"));

        assertThat(properties.toEngineOptions()).isEqualTo(EngineOptions.defaults().withDevice(Device.AUTO));
        assertThat(properties.toEngineOptions().dcaScale()).isEqualTo(DcaScaleRule.POSITION);
        assertThat(properties.toEngineOptions().gpuMemoryUtilization()).isEqualTo(0.9);
        assertThat(properties.toEngineOptions().kvCacheBlocks()).as("unset: sized by the engine").isZero();
        assertThat(properties.maxWaitingOrUnbounded()).isEqualTo(8);
    }

    @Test
    void anUnknownDeviceScaleRuleOrDtypeIsRejectedWithTheAcceptedValues() {
        assertThatThrownBy(() -> bind(Map.of("longctx.engine.dtype", "fp8")).toEngineOptions())
                .hasMessage("unknown dtype 'fp8': expected auto, bfloat16 or float32");
        assertThatThrownBy(() -> bind(Map.of("longctx.engine.device", "gpu")).toEngineOptions())
                .hasMessageContaining("gpu").hasMessageContaining("cpu, cuda or auto");
        assertThatThrownBy(() -> bind(Map.of("longctx.engine.dca-scale", "prompt")).toEngineOptions())
                .hasMessageContaining("position or request");
        assertThatThrownBy(() -> bind(Map.of("longctx.engine.gpu-memory-utilization", "1.2")).toEngineOptions())
                .hasMessageContaining("gpu-memory-utilization must be in (0, 1]");
    }

    private static EngineProperties bind(Map<String, String> values) {
        return new Binder(new MapConfigurationPropertySource(values))
                .bindOrCreate("longctx.engine", EngineProperties.class);
    }
}
