package dev.longctx.engine.backend;

import dev.longctx.engine.EngineOptions;
import java.util.ServiceLoader;

/** Picks and opens the backend {@link EngineOptions#device()} names, from the {@link BackendProvider}s on the class path. */
public final class Backends {

    private Backends() {}

    /** A backend and, for {@link Device#AUTO}, the one line that says which device was taken and why. */
    public record Choice(Backend backend, String note) {}

    /**
     * @throws BackendUnavailableException when the device asked for cannot run here, with its one-line reason
     */
    public static Choice open(EngineOptions options) {
        Device device = options.device();
        if (device != Device.AUTO) return new Choice(require(device.id()).open(options), null);
        String cudaProblem = unavailableReason(Device.CUDA.id());
        if (cudaProblem == null) {
            return new Choice(require(Device.CUDA.id()).open(options), "device auto: using cuda (a CUDA GPU is usable)");
        }
        return new Choice(require(Device.CPU.id()).open(options), "device auto: using cpu (" + cudaProblem + ")");
    }

    /** Null when the named backend can run here, else the one line saying why it cannot. */
    public static String unavailableReason(String name) {
        BackendProvider p = find(name);
        if (p == null) return unavailable(name, "this build has no " + name + " backend");
        String reason = p.unavailableReason();
        return reason == null ? null : unavailable(name, reason);
    }

    private static BackendProvider require(String name) {
        String reason = unavailableReason(name);
        if (reason != null) throw new BackendUnavailableException(reason);
        return find(name);
    }

    private static String unavailable(String name, String why) {
        return (name.equals("cuda") ? "CUDA" : name.toUpperCase(java.util.Locale.ROOT)) + " backend unavailable: " + why;
    }

    private static BackendProvider find(String name) {
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class, Backends.class.getClassLoader())) {
            if (p.name().equals(name)) return p;
        }
        return null;
    }
}
