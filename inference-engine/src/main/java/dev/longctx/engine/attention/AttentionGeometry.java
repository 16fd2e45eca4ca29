package dev.longctx.engine.attention;

import dev.longctx.engine.model.DcaConfig;
import dev.longctx.engine.model.ModelConfig;

/**
 * The shape of one model's attention: head counts, RoPE base and (optionally) DCA. Shared by every attention
 * implementation and by the forward pass, which rotates keys at {@link #keyPosition} before caching them.
 *
 * @param dca null for plain RoPE attention
 */
public record AttentionGeometry(int numHeads, int numKvHeads, int headDim, double ropeTheta, DcaConfig dca) {

    public static AttentionGeometry of(ModelConfig config) {
        return new AttentionGeometry(config.numHeads(), config.numKvHeads(), config.headDim(), config.ropeTheta(),
                config.dca());
    }

    public int groupSize() { return numHeads / numKvHeads; }

    public int qDim() { return numHeads * headDim; }

    public int kvDim() { return numKvHeads * headDim; }

    /** Where a key (and so the KV cache) is rotated: p, or p mod L under DCA. */
    public long keyPosition(long p) {
        return dca == null ? p : p % dca.chunkLen();
    }

    /** Softmax scale 1/sqrt(head_dim), times s_f(T)² under DCA. */
    public double logitScale(long totalLength) {
        double s = dca == null ? 1.0 : dca.scale(totalLength);
        return s * s / Math.sqrt(headDim);
    }
}
