package dev.longctx.engine.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.longctx.engine.EngineOptions;
import org.junit.jupiter.api.Test;

/** Backend lookup through the providers on the class path (this build has the CPU's only). */
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
        Backends.Choice c = Backends.open(EngineOptions.defaults().withThreads(1).withDevice(Device.AUTO));
        try (Backend b = c.backend()) {
            assertThat(b.name()).isEqualTo("cpu");
            assertThat(c.note()).isEqualTo("device auto: using cpu (CUDA backend unavailable: this build has no cuda backend)");
        }
    }

    @Test
    void cudaFailsWithOneLineSayingWhy() {
        assertThatThrownBy(() -> Backends.open(EngineOptions.defaults().withDevice(Device.CUDA)))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessage("CUDA backend unavailable: this build has no cuda backend");
    }

    @Test
    void deviceNamesParse() {
        assertThat(Device.parse(" CUDA ")).isEqualTo(Device.CUDA);
        assertThat(Device.AUTO.id()).isEqualTo("auto");
        assertThatThrownBy(() -> Device.parse("tpu")).hasMessage("unknown device 'tpu': expected cpu, cuda or auto");
    }
}
