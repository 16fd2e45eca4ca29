package dev.longctx.engine.backend.cuda;

import dev.longctx.engine.weights.WeightReader;
import org.junit.jupiter.api.Assumptions;

import java.util.Random;

/**
 * Shared by the GPU tests: one CUDA backend (context, kernels, cuBLAS) per JVM, opened on first use and never
 * closed (the JVM's exit releases it), a skip with the probe's one-line reason where CUDA does not work, bf16
 * conversions and error norms.
 */
public final class CudaTestSupport {
    private static CudaBackend backend;
    private static CudaBackend genericBackend;
    private static CudaBackend float32Backend;

    private CudaTestSupport() {}

    /** Skips the calling test (or class, from a @BeforeAll), saying why, unless CUDA works here. */
    public static void assumeCuda() {
        CudaAvailability a = CudaAvailability.probe();
        Assumptions.assumeTrue(a.available(), () -> "CUDA tests skipped: " + a.reason());
    }

    /** The shared backend, current on the calling thread; skips where CUDA does not work. */
    public static synchronized CudaBackend backend() {
        assumeCuda();
        if (backend == null) backend = new CudaBackend(0);
        backend.enter();
        return backend;
    }

    /** A backend whose attention always takes the generic kernel (every head_dim), for its contract test. */
    static synchronized CudaBackend genericAttentionBackend() {
        assumeCuda();
        if (genericBackend == null) genericBackend = new CudaBackend(0, false, false);
        genericBackend.enter();
        return genericBackend;
    }

    /** A backend under {@code --dtype float32}: fp32 matrices, activations and KV. */
    static synchronized CudaBackend float32Backend() {
        assumeCuda();
        if (float32Backend == null) float32Backend = new CudaBackend(0, dev.longctx.engine.backend.ComputeDtype.FLOAT32);
        float32Backend.enter();
        return float32Backend;
    }

    /** The shared backend's kernel launchers; skips where CUDA does not work. */
    static synchronized CudaKernels kernels() {
        return backend().kernels();
    }

    static short bf16(float x) { return WeightReader.floatToBf16(x); }

    static float f32(short bf16) { return WeightReader.bf16ToFloat(bf16); }

    /** Random N(0, σ²) values already rounded to bf16, as bits. */
    static short[] randomBf16(Random rnd, int n, double sigma) {
        short[] x = new short[n];
        for (int i = 0; i < n; i++) x[i] = bf16((float) (rnd.nextGaussian() * sigma));
        return x;
    }

    static float[] toFloat(short[] x) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) y[i] = f32(x[i]);
        return y;
    }

    /** ‖out − ref‖ / ‖ref‖; NaN anywhere (an unwritten, poisoned element) gives +∞. */
    static double relErr(float[] out, double[] ref) {
        double num = 0, den = 0;
        for (int i = 0; i < ref.length; i++) {
            if (Float.isNaN(out[i])) return Double.POSITIVE_INFINITY;
            double d = out[i] - ref[i];
            num += d * d;
            den += ref[i] * ref[i];
        }
        return Math.sqrt(num / Math.max(den, 1e-300));
    }

    public static double relErr(float[] out, float[] ref) {
        double[] r = new double[ref.length];
        for (int i = 0; i < r.length; i++) r[i] = ref[i];
        return relErr(out, r);
    }

    static CudaMemory upload(CudaContext c, short[] x) {
        CudaMemory b = c.allocate(2L * Math.max(1, x.length));
        b.copyFrom(x);
        return b;
    }

    static CudaMemory upload(CudaContext c, float[] x) {
        CudaMemory b = c.allocate(4L * Math.max(1, x.length));
        b.copyFrom(x);
        return b;
    }

    static CudaMemory upload(CudaContext c, int[] x) {
        CudaMemory b = c.allocate(4L * Math.max(1, x.length));
        b.copyFrom(x);
        return b;
    }

    static CudaMemory upload(CudaContext c, long[] x) {
        CudaMemory b = c.allocate(8L * Math.max(1, x.length));
        b.copyFrom(x);
        return b;
    }

    static float[] downloadBf16(CudaMemory b, int n) {
        short[] s = new short[n];
        b.copyTo(s);
        return toFloat(s);
    }

    static float[] downloadF32(CudaMemory b, int n) {
        float[] f = new float[n];
        b.copyTo(f);
        return f;
    }
}
