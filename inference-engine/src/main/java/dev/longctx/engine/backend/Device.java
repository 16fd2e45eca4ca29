package dev.longctx.engine.backend;

import java.util.Locale;

/** Which backend runs the model: {@code --device} and {@code longctx.engine.device}. */
public enum Device {
    CPU, CUDA,
    /** The GPU where one works, else the CPU; says which it took and why. */
    AUTO;

    /** The provider name ({@link BackendProvider#name()}) of a concrete device. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @throws IllegalArgumentException naming the accepted values */
    public static Device parse(String value) {
        if (value != null) {
            for (Device d : values()) if (d.id().equals(value.trim().toLowerCase(Locale.ROOT))) return d;
        }
        throw new IllegalArgumentException("unknown device '" + value + "': expected cpu, cuda or auto");
    }
}
