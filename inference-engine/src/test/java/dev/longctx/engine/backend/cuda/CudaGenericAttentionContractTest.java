package dev.longctx.engine.backend.cuda;

import dev.longctx.engine.backend.Backend;

/**
 * The attention contract on the generic kernel, which serves the head dims the tensor-core kernels lack (the
 * default model's 32, the fixtures' 16 and 20): the same cases and tolerances as the tensor-core kernels, forced
 * through it at head_dim 64 and 128.
 */
class CudaGenericAttentionContractTest extends CudaAttentionContractTest {

    @Override
    protected Backend backend() { return CudaTestSupport.genericAttentionBackend(); }
}
