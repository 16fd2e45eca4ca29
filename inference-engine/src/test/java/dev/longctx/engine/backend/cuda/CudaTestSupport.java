package dev.longctx.engine.backend.cuda;

import org.junit.jupiter.api.Assumptions;

import java.util.Random;

/**
 * Shared by the GPU tests: one context per JVM (opened on first use, never closed: the JVM's exit releases it),
 * a skip with the probe's one-line reason where CUDA does not work, bf16 conversions and error norms.
 */
final class CudaTestSupport {
    private static CudaContext ctx;
    private static CudaKernels kernels;

    private CudaTestSupport() {}

    /** Skips the calling test, saying why, unless a CUDA device, the kernels and cuBLAS are all here. */
    static synchronized CudaKernels kernels() {
        CudaAvailability a = CudaAvailability.probe();
        Assumptions.assumeTrue(a.available(), () -> "CUDA tests skipped: " + a.reason());
        if (ctx == null) {
            ctx = CudaContext.open(0);
            kernels = new CudaKernels(ctx);
        }
        ctx.makeCurrent();
        return kernels;
    }

    static short bf16(float x) {
        int bits = Float.floatToRawIntBits(x);
        if (Float.isNaN(x)) return (short) 0x7fc0;
        bits += 0x7fff + ((bits >>> 16) & 1);  // round to nearest even
        return (short) (bits >>> 16);
    }

    static float f32(short bf16) { return Float.intBitsToFloat((bf16 & 0xffff) << 16); }

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

    static double relErr(float[] out, float[] ref) {
        double[] r = new double[ref.length];
        for (int i = 0; i < r.length; i++) r[i] = ref[i];
        return relErr(out, r);
    }

    static DeviceBuffer upload(CudaContext c, short[] x) {
        DeviceBuffer b = c.allocate(2L * Math.max(1, x.length));
        b.copyFrom(x);
        return b;
    }

    static DeviceBuffer upload(CudaContext c, float[] x) {
        DeviceBuffer b = c.allocate(4L * Math.max(1, x.length));
        b.copyFrom(x);
        return b;
    }

    static DeviceBuffer upload(CudaContext c, int[] x) {
        DeviceBuffer b = c.allocate(4L * Math.max(1, x.length));
        b.copyFrom(x);
        return b;
    }

    static DeviceBuffer upload(CudaContext c, long[] x) {
        DeviceBuffer b = c.allocate(8L * Math.max(1, x.length));
        b.copyFrom(x);
        return b;
    }

    static float[] downloadBf16(DeviceBuffer b, int n) {
        short[] s = new short[n];
        b.copyTo(s);
        return toFloat(s);
    }

    static float[] downloadF32(DeviceBuffer b, int n) {
        float[] f = new float[n];
        b.copyTo(f);
        return f;
    }
}
