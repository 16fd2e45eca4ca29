package dev.longctx.engine.sampling;

/**
 * What a forward step gives for its logits rows, in order: row i is either {@code logits[i]}, a vocabulary-wide
 * row for the host {@link Sampler}, or, where {@code logits[i]} is null, {@code tokens[i]}, the token the backend
 * sampled on the device under the row's {@link DeviceSampling}.
 */
public record StepResult(float[][] logits, int[] tokens) {

    public StepResult {
        if (logits.length != tokens.length) {
            throw new IllegalArgumentException(logits.length + " logits rows and " + tokens.length + " tokens");
        }
    }

    /** Every row as logits (a backend that does not sample). */
    public static StepResult ofLogits(float[][] logits) {
        return new StepResult(logits, new int[logits.length]);
    }

    public int rows() { return logits.length; }

    /** Whether row i was sampled on the device. */
    public boolean sampled(int i) { return logits[i] == null; }
}
