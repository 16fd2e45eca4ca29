package dev.longctx.engine.backend.cuda;

import dev.longctx.engine.attention.AttentionContractTest;
import dev.longctx.engine.backend.Backend;
import org.junit.jupiter.api.BeforeEach;

/**
 * The attention contract on the generic kernel, which serves the head dims the tensor-core kernels lack (the
 * default model's 32, the fixtures' 16 and 20): the same cases, forced through it at head_dim 64 and 128.
 */
class CudaGenericAttentionContractTest extends AttentionContractTest {

    @BeforeEach
    void needsCuda() { CudaTestSupport.assumeCuda(); }

    @Override
    protected Backend backend() { return CudaTestSupport.genericAttentionBackend(); }

    @Override
    protected double tolerance() { return 6e-2; }

    @Override
    protected double relativeTolerance() { return 1e-2; }

    @Override
    protected double kvTolerance() { return 1e-2; }
}
