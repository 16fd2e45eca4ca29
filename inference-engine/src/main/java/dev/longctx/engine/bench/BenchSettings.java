package dev.longctx.engine.bench;

import dev.longctx.engine.backend.Device;

/**
 * What every benchmark run shares.
 *
 * @param piece       prefill piece size (max_num_batched_tokens): the most tokens of one forward step
 * @param kvBlockSize tokens per paged KV block; must divide the geometry's DCA chunk length
 * @param threads     CPU worker threads (0 = all cores)
 * @param runs        timed runs; the median is reported
 * @param warmup      untimed runs before them
 * @param seed        for the random weights and token ids
 * @param enforceEager no CUDA graphs ({@code --enforce-eager})
 */
public record BenchSettings(Geometry geometry, Device device, int piece, int kvBlockSize, int threads, int runs,
                            int warmup, long seed, boolean enforceEager) {

    public BenchSettings {
        if (piece < 1) throw new IllegalArgumentException("the piece size must be at least 1 token, got " + piece);
        if (kvBlockSize < 1) throw new IllegalArgumentException("the KV block size must be at least 1, got " + kvBlockSize);
        if (runs < 1) throw new IllegalArgumentException("at least one timed run is needed, got " + runs);
        if (warmup < 0) throw new IllegalArgumentException("warm-up runs cannot be negative, got " + warmup);
        if (threads < 0) throw new IllegalArgumentException("threads must be 0 (all cores) or more, got " + threads);
    }
}
