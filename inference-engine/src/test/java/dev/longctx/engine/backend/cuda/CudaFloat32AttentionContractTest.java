package dev.longctx.engine.backend.cuda;

import dev.longctx.engine.attention.AttentionContractTest;
import dev.longctx.engine.backend.Backend;
import org.junit.jupiter.api.BeforeEach;

/**
 * The attention contract under {@code --dtype float32}: the generic kernel's fp32 instance over an fp32 cache, held
 * to 1e-4 per element and per token against the fp64 reference (bf16: 6e-2 and 1e-2), K/V as the CPU's 1e-5.
 */
class CudaFloat32AttentionContractTest extends AttentionContractTest {

    @BeforeEach
    void needsCuda() { CudaTestSupport.assumeCuda(); }

    @Override
    protected Backend backend() { return CudaTestSupport.float32Backend(); }

    @Override
    protected double tolerance() { return 1e-4; }

    @Override
    protected double relativeTolerance() { return 1e-4; }
}
