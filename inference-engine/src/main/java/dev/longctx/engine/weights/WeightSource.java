package dev.longctx.engine.weights;

import java.util.Set;

/**
 * Where a model's tensors come from: a {@link Checkpoint} on disk, or {@link RandomWeights} for benchmarks that need
 * a model's shapes and not its values. The model loads from either through the same path (validation, then one
 * {@code Backend.upload} per tensor), so a benchmark on random weights measures the code that serves real ones.
 */
public interface WeightSource extends AutoCloseable {

    /** What these weights are, for messages: "checkpoint /models/x", "random bf16 weights (seed 1)". */
    String description();

    /** Every tensor name, sorted. */
    Set<String> names();

    boolean has(String name);

    /** The header entry of {@code name} (dtype and shape, as a safetensors file would declare them). */
    SafetensorsFile.Entry entry(String name);

    /** The tensor's bytes; valid until {@link #close()}. */
    Tensor tensor(String name);

    @Override
    void close();
}
