package dev.longctx.engine.backend.cuda;

import dev.longctx.engine.backend.Backend;
import dev.longctx.engine.backend.BackendContractTest;
import org.junit.jupiter.api.BeforeEach;

/**
 * The backend contract on the GPU under {@code --dtype float32}: fp32 matrices, activations and SGEMMs, so the
 * tolerance is the CPU's order (1e-4 relative, against 1e-2 in bf16): only the summation order differs.
 */
class CudaFloat32BackendContractTest extends BackendContractTest {

    @BeforeEach
    void needsCuda() { CudaTestSupport.assumeCuda(); }

    @Override
    protected Backend backend() { return CudaTestSupport.float32Backend(); }

    @Override
    protected double relativeTolerance() { return 1e-4; }
}
