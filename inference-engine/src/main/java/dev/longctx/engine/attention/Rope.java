package dev.longctx.engine.attention;

/**
 * Rotary position embedding in the "rotate-half" (NeoX) layout Qwen2 uses: element i pairs with i + d/2.
 * Angles are computed in double because positions reach 10^6 and θ reaches 10^7.
 */
public final class Rope {
    private final int headDim;
    private final double[] invFreq;

    public Rope(int headDim, double theta) {
        if (headDim % 2 != 0) throw new IllegalArgumentException("head_dim must be even, got " + headDim);
        this.headDim = headDim;
        this.invFreq = new double[headDim / 2];
        for (int i = 0; i < headDim / 2; i++) {
            invFreq[i] = 1.0 / Math.pow(theta, (2.0 * i) / headDim);
        }
    }

    public int headDim() { return headDim; }

    /** cos/sin of every pair at one position, computed once and applied to many heads. */
    public Angles angles(long position) {
        int half = headDim / 2;
        float[] cos = new float[half];
        float[] sin = new float[half];
        for (int i = 0; i < half; i++) {
            double a = position * invFreq[i];
            cos[i] = (float) Math.cos(a);
            sin[i] = (float) Math.sin(a);
        }
        return new Angles(cos, sin);
    }

    /** Rotates {@code x[off, off + headDim)} in place. */
    public void rotate(float[] x, int off, Angles a) {
        int half = headDim / 2;
        for (int i = 0; i < half; i++) {
            float x1 = x[off + i];
            float x2 = x[off + i + half];
            x[off + i] = x1 * a.cos[i] - x2 * a.sin[i];
            x[off + i + half] = x2 * a.cos[i] + x1 * a.sin[i];
        }
    }

    /** Rotates {@code src[srcOff, +headDim)} into {@code dst[dstOff, +headDim)}. */
    public void rotate(float[] src, int srcOff, float[] dst, int dstOff, Angles a) {
        int half = headDim / 2;
        for (int i = 0; i < half; i++) {
            float x1 = src[srcOff + i];
            float x2 = src[srcOff + i + half];
            dst[dstOff + i] = x1 * a.cos[i] - x2 * a.sin[i];
            dst[dstOff + i + half] = x2 * a.cos[i] + x1 * a.sin[i];
        }
    }

    public record Angles(float[] cos, float[] sin) {}
}
