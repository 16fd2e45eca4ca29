package dev.longctx.engine.backend.cuda;

import dev.longctx.engine.backend.Backend;
import dev.longctx.engine.backend.BackendContractTest;
import org.junit.jupiter.api.BeforeEach;

/** The backend contract on the GPU: bf16 matrices and GEMM operands, so a relative error of 1e-2 is allowed. */
class CudaBackendContractTest extends BackendContractTest {

    @BeforeEach
    void needsCuda() { CudaTestSupport.assumeCuda(); }

    @Override
    protected Backend backend() { return CudaTestSupport.backend(); }

    @Override
    protected double relativeTolerance() { return 1e-2; }
}
