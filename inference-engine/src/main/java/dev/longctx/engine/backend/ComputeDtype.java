package dev.longctx.engine.backend;

import java.util.Locale;

/**
 * The element type of weights, GEMM operands and the KV cache ({@code --dtype}, {@code longctx.engine.dtype}), with
 * vLLM's names. The residual stream, norms, softmax and logits are fp32 under every choice.
 */
public enum ComputeDtype {
    /** The backend's fast type: bf16 on a GPU, fp32 on the CPU (which computes in nothing else). */
    AUTO("auto"),
    /** bf16 weights, GEMM operands and KV: the GPU's serving type (tensor cores, half the memory traffic). */
    BFLOAT16("bfloat16"),
    /**
     * fp32 throughout: the reference precision, to compare a GPU with the CPU or with transformers run in fp32.
     * On a GPU it is slow (no tensor cores, twice the memory) and meant for checks, not serving.
     */
    FLOAT32("float32");

    private final String id;

    ComputeDtype(String id) { this.id = id; }

    public String id() { return id; }

    /** @throws IllegalArgumentException naming the accepted values */
    public static ComputeDtype parse(String value) {
        String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
        switch (v) {
            case "auto": return AUTO;
            case "bfloat16", "bf16": return BFLOAT16;
            case "float32", "float", "fp32": return FLOAT32;
            default: throw new IllegalArgumentException("unknown dtype '" + value + "': expected auto, bfloat16 or float32");
        }
    }
}
