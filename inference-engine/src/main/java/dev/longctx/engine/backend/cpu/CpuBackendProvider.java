package dev.longctx.engine.backend.cpu;

import dev.longctx.engine.EngineOptions;
import dev.longctx.engine.backend.Backend;
import dev.longctx.engine.backend.BackendProvider;

/** The CPU backend: always available. */
public final class CpuBackendProvider implements BackendProvider {
    @Override
    public String name() { return "cpu"; }

    @Override
    public String unavailableReason() { return null; }

    @Override
    public Backend open(EngineOptions options) { return new CpuBackend(options.threads()); }
}
