package dev.longctx.engine.backend.cuda;

import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;

/**
 * One GPU through the CUDA driver API: its primary context (the one the CUDA runtime, and so cuBLAS, also uses),
 * one non-blocking stream that every copy, kernel and GEMM of this context is ordered on, the kernel modules
 * loaded from the jar ({@code /cuda/*.fatbin}) and a cuBLAS handle.
 *
 * <p>The context is made current on the opening thread; another thread must call {@link #makeCurrent} first.
 */
public final class CudaContext implements AutoCloseable {
    private final CUdevice device = new CUdevice();
    private final CUcontext context = new CUcontext();
    private final CUstream stream = new CUstream();
    private final long streamAddress;
    private final String name;
    private final int computeCapability;
    private final int multiprocessors;
    private final long totalMemory;
    private final Map<String, CUmodule> modules = new HashMap<>();
    private Cublas cublas;
    private CudaMemory cublasWorkspace;
    private boolean closed;

    private CudaContext(int ordinal) {
        JCudaDriver.cuDeviceGet(device, ordinal);
        JCudaDriver.cuDevicePrimaryCtxRetain(context, device);
        JCudaDriver.cuCtxSetCurrent(context);
        JCudaDriver.cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING);
        streamAddress = CudaMemory.rawAddress(stream);
        byte[] buf = new byte[256];
        JCudaDriver.cuDeviceGetName(buf, buf.length, device);
        int len = 0;
        while (len < buf.length && buf[len] != 0) len++;
        name = new String(buf, 0, len, java.nio.charset.StandardCharsets.US_ASCII);
        computeCapability = 10 * attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)
                + attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
        multiprocessors = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        long[] total = new long[1];
        JCudaDriver.cuDeviceTotalMem(total, device);
        totalMemory = total[0];
    }

    /**
     * Opens device {@code ordinal}, or throws {@link CudaUnavailableException} with the one-line reason
     * {@link CudaAvailability#probe()} gives.
     */
    public static CudaContext open(int ordinal) {
        CudaAvailability a = CudaAvailability.probe();
        if (!a.available()) throw new CudaUnavailableException(a.reason());
        int[] count = new int[1];
        JCudaDriver.cuDeviceGetCount(count);
        if (ordinal < 0 || ordinal >= count[0]) {
            throw new CudaUnavailableException("no CUDA device " + ordinal + ": " + count[0] + " device(s) present");
        }
        return new CudaContext(ordinal);
    }

    public void makeCurrent() { JCudaDriver.cuCtxSetCurrent(context); }

    public CudaMemory allocate(long bytes) { return CudaMemory.allocate(this, bytes); }

    /** Waits until everything queued on the stream has run; an asynchronous kernel fault surfaces here. */
    public void synchronize() { JCudaDriver.cuStreamSynchronize(stream); }

    CUstream stream() { return stream; }

    /** The stream's raw handle (for cuBLAS and other native libraries). */
    public long streamAddress() { return streamAddress; }

    public String deviceName() { return name; }

    /** 10 · major + minor, e.g. 90 for Hopper. */
    public int computeCapability() { return computeCapability; }

    public int multiprocessors() { return multiprocessors; }

    public long totalMemory() { return totalMemory; }

    /** Free device memory now, in bytes (what a KV cache can be sized from). */
    public long freeMemory() {
        long[] free = new long[1], total = new long[1];
        JCudaDriver.cuMemGetInfo(free, total);
        return free[0];
    }

    /** cuBLAS bound to this context's stream, opened on first use. */
    public synchronized Cublas cublas() {
        if (cublas == null) {
            cublasWorkspace = allocate(Cublas.WORKSPACE_BYTES);
            cublas = Cublas.open(streamAddress, cublasWorkspace.address());
        }
        return cublas;
    }

    /** The module {@code /cuda/<name>.fatbin} of the jar, loaded once. */
    synchronized CUmodule module(String moduleName) {
        return modules.computeIfAbsent(moduleName, n -> {
            CUmodule m = new CUmodule();
            JCudaDriver.cuModuleLoadData(m, kernelImage(n));
            return m;
        });
    }

    static byte[] kernelImage(String moduleName) {
        String path = "/cuda/" + moduleName + ".fatbin";
        try (InputStream in = CudaContext.class.getResourceAsStream(path)) {
            if (in == null) throw new CudaUnavailableException(CudaAvailability.missingKernelsReason());
            return in.readAllBytes();
        } catch (IOException e) {
            throw new CudaUnavailableException("cannot read " + path + " from the jar: " + e.getMessage(), e);
        }
    }

    private int attribute(int attr) {
        int[] v = new int[1];
        JCudaDriver.cuDeviceGetAttribute(v, attr, device);
        return v[0];
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        makeCurrent();
        if (cublas != null) cublas.close();
        if (cublasWorkspace != null) cublasWorkspace.close();
        for (CUmodule m : modules.values()) JCudaDriver.cuModuleUnload(m);
        JCudaDriver.cuStreamDestroy(stream);
        JCudaDriver.cuDevicePrimaryCtxRelease(device);
    }

    @Override
    public String toString() {
        return name + " (sm_" + computeCapability + ", " + multiprocessors + " SMs, " + (totalMemory >> 30) + " GiB)";
    }
}
