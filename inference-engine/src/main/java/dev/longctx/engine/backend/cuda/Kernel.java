package dev.longctx.engine.backend.cuda;

import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUmodule;
import jcuda.driver.JCudaDriver;

/**
 * One kernel of a loaded module with its parameter array built once: each parameter has its own one-element
 * array that {@link #ptr}/{@link #i32}/{@link #f32} overwrite before {@link #launch}, so a launch allocates
 * nothing. The signature is a string, one letter per parameter: {@code p} device pointer (64-bit address),
 * {@code i} int32, {@code j} int64, {@code f} float.
 *
 * <p>Not thread-safe: parameters are set and launched by the one thread that drives the context.
 */
final class Kernel {
    private final String name;
    private final CUfunction fn = new CUfunction();
    private final String signature;
    private final long[][] longs;
    private final int[][] ints;
    private final float[][] floats;
    private final Pointer params;

    Kernel(CUmodule module, String name, String signature) {
        this.name = name;
        this.signature = signature;
        JCudaDriver.cuModuleGetFunction(fn, module, name);
        int n = signature.length();
        longs = new long[n][];
        ints = new int[n][];
        floats = new float[n][];
        Pointer[] slots = new Pointer[n];
        for (int k = 0; k < n; k++) {
            slots[k] = switch (signature.charAt(k)) {
                case 'p', 'j' -> Pointer.to(longs[k] = new long[1]);
                case 'i' -> Pointer.to(ints[k] = new int[1]);
                case 'f' -> Pointer.to(floats[k] = new float[1]);
                default -> throw new IllegalArgumentException("bad parameter letter in " + signature);
            };
        }
        params = Pointer.to(slots);
    }

    /** Allows more than 48 KB of dynamic shared memory (the default cap). */
    Kernel maxDynamicSharedMemory(int bytes) {
        JCudaDriver.cuFuncSetAttribute(fn, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes);
        return this;
    }

    /** A device pointer parameter; null passes a null pointer (the kernels treat it as "absent"). */
    Kernel ptr(int k, CudaMemory b) {
        expect(k, 'p');
        longs[k][0] = b == null ? 0L : b.address();
        return this;
    }

    Kernel i32(int k, int v) {
        expect(k, 'i');
        ints[k][0] = v;
        return this;
    }

    Kernel i64(int k, long v) {
        expect(k, 'j');
        longs[k][0] = v;
        return this;
    }

    Kernel f32(int k, float v) {
        expect(k, 'f');
        floats[k][0] = v;
        return this;
    }

    void launch(CudaContext ctx, int gx, int gy, int gz, int block, int sharedBytes) {
        if (gx <= 0 || gy <= 0 || gz <= 0) return;  // nothing to do
        JCudaDriver.cuLaunchKernel(fn, gx, gy, gz, block, 1, 1, sharedBytes, ctx.stream(), params, null);
    }

    private void expect(int k, char type) {
        if (signature.charAt(k) != type) {
            throw new IllegalArgumentException(name + " parameter " + k + " is '" + signature.charAt(k) + "', not '" + type + "'");
        }
    }

    @Override
    public String toString() { return name + "(" + signature + ")"; }
}
