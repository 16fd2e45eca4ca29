package dev.longctx.engine.backend.cpu;

import dev.longctx.engine.EngineOptions;
import dev.longctx.engine.backend.Backend;
import dev.longctx.engine.backend.BackendProvider;
import dev.longctx.engine.backend.ComputeDtype;

/** The CPU backend: always available; it computes in fp32 only, so {@code --dtype auto|float32}. */
public final class CpuBackendProvider implements BackendProvider {
    @Override
    public String name() { return "cpu"; }

    @Override
    public String unavailableReason() { return null; }

    @Override
    public Backend open(EngineOptions options) {
        if (options.dtype() == ComputeDtype.BFLOAT16) {
            throw new IllegalArgumentException("the cpu backend computes in float32: --dtype bfloat16 needs --device cuda");
        }
        return new CpuBackend(options.threads());
    }
}
