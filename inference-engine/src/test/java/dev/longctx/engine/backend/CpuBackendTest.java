package dev.longctx.engine.backend;

import dev.longctx.engine.backend.cpu.CpuBackend;
import org.junit.jupiter.api.AfterAll;

class CpuBackendTest extends BackendContractTest {
    private static final CpuBackend CPU = new CpuBackend(2);

    @Override
    protected Backend backend() { return CPU; }

    @AfterAll
    static void shutdown() { CPU.close(); }
}
