package dev.longctx.engine.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.longctx.engine.EngineOptions;
import org.junit.jupiter.api.Test;

/**
 * Backend lookup through the providers on the class path: the CPU's and the CUDA one, which works only where a GPU,
 * its driver, the kernels and cuBLAS are all there. Both outcomes are checked, whichever this machine has.
 */
class BackendsTest {

    @Test
    void cpuIsAlwaysThere() {
        assertThat(Backends.unavailableReason("cpu")).isNull();
        Backends.Choice c = Backends.open(EngineOptions.defaults().withThreads(1));
        try (Backend b = c.backend()) {
            assertThat(b.name()).isEqualTo("cpu");
            assertThat(c.note()).as("an explicit device needs no explanation").isNull();
        }
    }

    @Test
    void autoSaysWhichDeviceItTookAndWhy() {
        String cuda = Backends.unavailableReason("cuda");
        Backends.Choice c = Backends.open(EngineOptions.defaults().withThreads(1).withDevice(Device.AUTO));
        try (Backend b = c.backend()) {
            if (cuda == null) {
                assertThat(b.name()).isEqualTo("cuda");
                assertThat(c.note()).isEqualTo("device auto: using cuda (a CUDA GPU is usable)");
            } else {
                assertThat(b.name()).isEqualTo("cpu");
                assertThat(c.note()).isEqualTo("device auto: using cpu (" + cuda + ")");
            }
        }
    }

    @Test
    void cudaFailsWithOneLineSayingWhyWhereItCannotRun() {
        String reason = Backends.unavailableReason("cuda");
        org.junit.jupiter.api.Assumptions.assumeTrue(reason != null, "CUDA works on this machine");
        assertThat(reason).startsWith("CUDA backend unavailable: ").doesNotContain("\n");
        assertThatThrownBy(() -> Backends.open(EngineOptions.defaults().withDevice(Device.CUDA)))
                .isInstanceOf(BackendUnavailableException.class).hasMessage(reason);
    }

    @Test
    void aDeviceThisBuildLacksSaysSo() {
        assertThat(Backends.unavailableReason("tpu")).isEqualTo("TPU backend unavailable: this build has no tpu backend");
    }

    @Test
    void dtypesParseWithVllmNamesAndTheCpuRefusesBf16() {
        assertThat(ComputeDtype.parse("float")).isEqualTo(ComputeDtype.FLOAT32);
        assertThat(ComputeDtype.parse(" BFloat16 ")).isEqualTo(ComputeDtype.BFLOAT16);
        assertThat(EngineOptions.defaults().dtype()).isEqualTo(ComputeDtype.AUTO);
        assertThatThrownBy(() -> ComputeDtype.parse("int8")).hasMessage("unknown dtype 'int8': expected auto, bfloat16 or float32");
        try (Backend b = Backends.open(EngineOptions.defaults().withThreads(1).withDtype(ComputeDtype.FLOAT32)).backend()) {
            assertThat(b.name()).isEqualTo("cpu");
        }
        assertThatThrownBy(() -> Backends.open(EngineOptions.defaults().withDtype(ComputeDtype.BFLOAT16)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the cpu backend computes in float32: --dtype bfloat16 needs --device cuda");
    }

    @Test
    void deviceNamesParse() {
        assertThat(Device.parse(" CUDA ")).isEqualTo(Device.CUDA);
        assertThat(Device.AUTO.id()).isEqualTo("auto");
        assertThatThrownBy(() -> Device.parse("tpu")).hasMessage("unknown device 'tpu': expected cpu, cuda or auto");
    }
}
