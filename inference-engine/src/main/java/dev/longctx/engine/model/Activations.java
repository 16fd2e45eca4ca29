package dev.longctx.engine.model;

import dev.longctx.engine.backend.Backend;
import dev.longctx.engine.backend.DeviceBuffer;
import dev.longctx.engine.backend.Precision;

/**
 * The forward pass's working buffers, allocated once per model on its backend for the largest step: a step of n
 * tokens uses the first n rows of each. The residual stream, the rows gathered for logits and the logits are fp32;
 * everything that goes into or comes out of a matrix product is in the backend's {@link Precision#COMPUTE} type
 * (bf16 on a GPU, fp32 on the CPU).
 *
 * @param x      residual stream [T, d]
 * @param h      normed input of a block [T, d]
 * @param qkv    q | k | v projections [T, qDim + 2·kvDim]
 * @param attn   attention output [T, qDim]
 * @param proj   o_proj / down output [T, d]
 * @param gateUp gate | up projections [T, 2·inter]
 * @param act    silu(gate) · up [T, inter]
 * @param last   hidden rows whose logits are wanted [G, d], then normed [G, d]
 * @param logits [G, vocab]
 */
record Activations(DeviceBuffer x, DeviceBuffer h, DeviceBuffer qkv, DeviceBuffer attn, DeviceBuffer proj,
                   DeviceBuffer gateUp, DeviceBuffer act, DeviceBuffer last, DeviceBuffer lastNormed,
                   DeviceBuffer logits, int maxTokens, int logitRows) {

    /** Rows of lm_head computed at once; a step that wants more (scoring) runs it in groups. */
    static final int LOGIT_ROWS = 64;

    /** Buffer shapes as 64-bit element counts, computed without allocating (a 7B MLP at 131,072 tokens passes 2³¹). */
    record Shape(int maxTokens, int logitRows, long d, long qkvCols, long qDim, long inter, long vocab) {
        static Shape of(ModelConfig c, int maxTokens) {
            if (maxTokens <= 0) throw new IllegalArgumentException("a step needs at least one token, got " + maxTokens);
            return new Shape(maxTokens, Math.min(maxTokens, LOGIT_ROWS), c.hiddenSize(), c.qDim() + 2L * c.kvDim(),
                    c.qDim(), c.intermediateSize(), c.vocabSize());
        }

        long gateUpElements() { return Math.multiplyExact((long) maxTokens, 2 * inter); }

        long actElements() { return Math.multiplyExact((long) maxTokens, inter); }

        long qkvElements() { return Math.multiplyExact((long) maxTokens, qkvCols); }

        long logitsElements() { return Math.multiplyExact((long) logitRows, vocab); }

        /** Every buffer together, in floats. */
        long totalElements() {
            long t = maxTokens;
            return 3 * t * d + qkvElements() + t * qDim + gateUpElements() + actElements() + 2L * logitRows * d + logitsElements();
        }
    }

    static Activations allocate(Backend b, Shape s) {
        long t = s.maxTokens(), g = s.logitRows();
        Precision fp32 = Precision.FP32, mm = Precision.COMPUTE;
        return new Activations(b.allocate(t, s.d(), fp32), b.allocate(t, s.d(), mm), b.allocate(t, s.qkvCols(), mm),
                b.allocate(t, s.qDim(), mm), b.allocate(t, s.d(), mm), b.allocate(t, 2 * s.inter(), mm),
                b.allocate(t, s.inter(), mm), b.allocate(g, s.d(), fp32), b.allocate(g, s.d(), mm),
                b.allocate(g, s.vocab(), fp32), s.maxTokens(), s.logitRows());
    }
}
