package dev.longctx.engine.backend.cuda;

import dev.longctx.engine.attention.AttentionContractTest;
import dev.longctx.engine.backend.Backend;
import org.junit.jupiter.api.BeforeEach;

/**
 * The attention contract on the GPU's tensor-core kernels (the contract's head dims are 64 and 128): bf16 q, K/V
 * and output, held to a relative error of 1e-2 per token (and 6e-2 per element) against the fp64 reference.
 */
class CudaAttentionContractTest extends AttentionContractTest {

    @BeforeEach
    void needsCuda() { CudaTestSupport.assumeCuda(); }

    @Override
    protected Backend backend() { return CudaTestSupport.backend(); }

    @Override
    protected double tolerance() { return 6e-2; }

    @Override
    protected double relativeTolerance() { return 1e-2; }

    @Override
    protected double kvTolerance() { return 1e-2; }
}
