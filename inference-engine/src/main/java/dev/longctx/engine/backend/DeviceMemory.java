package dev.longctx.engine.backend;

/**
 * A device's memory, in bytes: what a GPU backend reports so the KV cache can be sized from it
 * ({@code gpu-memory-utilization}).
 *
 * @param total the device's memory
 * @param free  what is free now, after everything allocated so far (by this process and any other)
 */
public record DeviceMemory(long total, long free) {

    /**
     * The bytes a KV cache may take when the engine may use {@code utilization} of the device in all, weights,
     * activations and everything else already allocated included (vLLM's {@code gpu_memory_utilization}).
     *
     * @throws IllegalArgumentException when utilization is outside (0, 1] or nothing is left for a KV cache
     */
    public long kvCacheBudget(double utilization) {
        if (!(utilization > 0 && utilization <= 1)) {
            throw new IllegalArgumentException("gpu-memory-utilization must be in (0, 1], got " + utilization);
        }
        long used = total - free;
        long budget = (long) (utilization * total) - used;
        if (budget <= 0) {
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
                    "no device memory left for a KV cache: %.2f GiB of %.2f GiB are in use (weights, activations, other "
                            + "processes), more than the %.2f GiB gpu-memory-utilization %.2f allows",
                    used / GIB, total / GIB, utilization * total / GIB, utilization));
        }
        return budget;
    }

    private static final double GIB = 1024.0 * 1024 * 1024;
}
