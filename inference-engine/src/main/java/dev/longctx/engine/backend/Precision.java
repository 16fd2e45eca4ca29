package dev.longctx.engine.backend;

/**
 * What a buffer holds, which decides its element type on a backend that has a choice. The CPU keeps every buffer in
 * fp32; a GPU keeps the operands of its matrix products in bf16, so the activations between GEMMs cost half the
 * memory traffic and no conversion, while the residual stream and the logits stay fp32.
 */
public enum Precision {
    /** fp32 everywhere: the residual stream, the logits, anything read back exactly. */
    FP32,
    /** The element type of the backend's matrix products: fp32 on the CPU, bf16 on a GPU. */
    COMPUTE
}
