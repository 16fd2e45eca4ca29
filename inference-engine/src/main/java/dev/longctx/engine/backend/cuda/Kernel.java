package dev.longctx.engine.backend.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/**
 * One kernel of a loaded module with its parameter array built once: each parameter has its own 8-byte slot
 * that {@link #ptr}/{@link #i32}/{@link #f32} overwrite before {@link #launch}, so a launch allocates nothing.
 * The signature is a string, one letter per parameter: {@code p} device pointer (64-bit address), {@code i}
 * int32, {@code j} int64, {@code f} float.
 *
 * <p>Launches call the driver's {@code cuLaunchKernel} through FFM on native parameter slots: JCuda's
 * {@code cuLaunchKernel} marshals the Java parameter arrays on every call, and a decode step launches a few
 * hundred kernels. {@code -Dlongctx.cuda.launcher=jcuda} takes JCuda's path instead (for side-by-side timing).
 *
 * <p>Not thread-safe: parameters are set and launched by the one thread that drives the context.
 */
final class Kernel {
    /** {@code CUresult cuLaunchKernel(f, gx, gy, gz, bx, by, bz, sharedBytes, stream, void** params, void** extra)}. */
    private static final MethodHandle LAUNCH = Linker.nativeLinker().downcallHandle(
            SymbolLookup.libraryLookup("libcuda.so.1", Arena.global()).find("cuLaunchKernel").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                    JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
    private static final boolean VIA_JCUDA = "jcuda".equals(System.getProperty("longctx.cuda.launcher"));

    private final String name;
    private final CUfunction fn = new CUfunction();
    private final String signature;
    private final long[][] longs;
    private final int[][] ints;
    private final float[][] floats;
    private final Pointer params;
    private final MemorySegment fnHandle;
    /** One 8-byte slot per parameter, and the array of their addresses that the driver reads. */
    private final MemorySegment slots, slotAddresses;

    Kernel(CUmodule module, String name, String signature) {
        this.name = name;
        this.signature = signature;
        JCudaDriver.cuModuleGetFunction(fn, module, name);
        int n = signature.length();
        fnHandle = MemorySegment.ofAddress(CudaMemory.rawAddress(fn));
        Arena arena = Arena.ofAuto();
        this.slots = arena.allocate(8L * Math.max(1, n), 8);
        this.slotAddresses = arena.allocate(8L * Math.max(1, n), 8);
        for (int k = 0; k < n; k++) slotAddresses.setAtIndex(ADDRESS, k, slots.asSlice(8L * k, 8));
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
        slots.set(JAVA_LONG, 8L * k, longs[k][0]);
        return this;
    }

    Kernel i32(int k, int v) {
        expect(k, 'i');
        ints[k][0] = v;
        slots.set(JAVA_INT, 8L * k, v);
        return this;
    }

    Kernel i64(int k, long v) {
        expect(k, 'j');
        longs[k][0] = v;
        slots.set(JAVA_LONG, 8L * k, v);
        return this;
    }

    Kernel f32(int k, float v) {
        expect(k, 'f');
        floats[k][0] = v;
        slots.set(JAVA_FLOAT, 8L * k, v);
        return this;
    }

    void launch(CudaContext ctx, int gx, int gy, int gz, int block, int sharedBytes) {
        if (gx <= 0 || gy <= 0 || gz <= 0) return;  // nothing to do
        if (VIA_JCUDA) {
            JCudaDriver.cuLaunchKernel(fn, gx, gy, gz, block, 1, 1, sharedBytes, ctx.stream(), params, null);
            return;
        }
        int result;
        try {
            result = (int) LAUNCH.invokeExact(fnHandle, gx, gy, gz, block, 1, 1, sharedBytes,
                    MemorySegment.ofAddress(ctx.streamAddress()), slotAddresses, MemorySegment.NULL);
        } catch (Throwable t) {
            throw new IllegalStateException("cuLaunchKernel(" + name + ")", t);
        }
        if (result != CUresult.CUDA_SUCCESS) {
            throw new CudaException("cuLaunchKernel(" + name + ", grid " + gx + "×" + gy + "×" + gz + ", block " + block
                    + ", " + sharedBytes + " B shared): " + CUresult.stringFor(result));
        }
    }

    private void expect(int k, char type) {
        if (signature.charAt(k) != type) {
            throw new IllegalArgumentException(name + " parameter " + k + " is '" + signature.charAt(k) + "', not '" + type + "'");
        }
    }

    @Override
    public String toString() { return name + "(" + signature + ")"; }
}
