package dev.longctx.engine.backend.cuda;

import jcuda.driver.JCudaDriver;

/**
 * Whether CUDA works here and, if not, why, in one line: no driver, no device, no kernels in the jar (built
 * without nvcc), or no cuBLAS. Probed once per JVM; never throws.
 *
 * @param available true when a context can be opened and every kernel module and cuBLAS are present
 * @param reason    one line: what was found ("NVIDIA H200, sm_90, cuBLAS /path") or why CUDA is unavailable
 */
public record CudaAvailability(boolean available, String reason) {
    static final String[] MODULES = {"elementwise", "attention", "sampling"};
    private static volatile CudaAvailability cached;

    public static CudaAvailability probe() {
        CudaAvailability a = cached;
        if (a == null) cached = a = compute();
        return a;
    }

    private static CudaAvailability compute() {
        // JCuda's own failure is a page of nested stack traces; the driver library's absence is the usual cause.
        try {
            java.lang.foreign.SymbolLookup.libraryLookup("libcuda.so.1", java.lang.foreign.Arena.global());
        } catch (IllegalArgumentException e) {
            return no("no CUDA driver: libcuda.so.1 cannot be loaded");
        }
        try {
            JCudaDriver.setExceptionsEnabled(true);
            JCudaDriver.cuInit(0);
        } catch (Throwable t) {
            return no("no CUDA driver: " + oneLine(t));
        }
        int[] count = new int[1];
        try {
            JCudaDriver.cuDeviceGetCount(count);
        } catch (Throwable t) {
            return no("no CUDA device: " + oneLine(t));
        }
        if (count[0] == 0) return no("no CUDA device: the driver reports none");
        for (String m : MODULES) {
            if (CudaAvailability.class.getResource("/cuda/" + m + ".fatbin") == null) return no(missingKernelsReason());
        }
        java.util.Optional<java.nio.file.Path> cublas = Cublas.locate(Cublas.searchDirs());
        if (cublas.isEmpty()) return no(Cublas.notFoundMessage());
        return new CudaAvailability(true, count[0] + " CUDA device(s); cuBLAS " + cublas.get());
    }

    static String missingKernelsReason() {
        return CudaAvailability.class.getResource("/cuda/BUILT_WITHOUT_NVCC") != null
                ? "built without nvcc: the jar has no CUDA kernels"
                : "the jar has no CUDA kernels (/cuda/*.fatbin missing)";
    }

    private static CudaAvailability no(String reason) {
        return new CudaAvailability(false, reason);
    }

    private static String oneLine(Throwable t) {
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        m = m.replaceAll("\\s+", " ").trim();
        return m.length() > 200 ? m.substring(0, 200) + "…" : m;
    }
}
