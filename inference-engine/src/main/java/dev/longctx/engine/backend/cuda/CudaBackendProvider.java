package dev.longctx.engine.backend.cuda;

import dev.longctx.engine.EngineOptions;
import dev.longctx.engine.backend.Backend;
import dev.longctx.engine.backend.BackendProvider;

/**
 * The CUDA backend for {@code --device cuda|auto}: available where {@link CudaAvailability} finds a driver, a
 * device, the kernels in the jar and cuBLAS; it runs on device 0 (one engine per GPU, as the services deploy), in
 * bf16 unless {@code --dtype float32} asks for the fp32 reference path, recording decode steps as CUDA graphs unless
 * {@code --enforce-eager}.
 */
public final class CudaBackendProvider implements BackendProvider {
    @Override
    public String name() { return "cuda"; }

    @Override
    public String unavailableReason() {
        CudaAvailability a = CudaAvailability.probe();
        return a.available() ? null : a.reason();
    }

    @Override
    public Backend open(EngineOptions options) {
        return new CudaBackend(0, options.dtype(), options.enforceEager());
    }
}
