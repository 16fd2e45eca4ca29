package dev.longctx.engine.attention;

import dev.longctx.engine.backend.Backend;
import dev.longctx.engine.backend.cpu.CpuBackend;
import org.junit.jupiter.api.AfterAll;

class CpuAttentionContractTest extends AttentionContractTest {
    private static final CpuBackend CPU = new CpuBackend(2);

    @Override
    protected Backend backend() { return CPU; }

    @AfterAll
    static void shutdown() { CPU.close(); }
}
