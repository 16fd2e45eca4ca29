package dev.longctx.engine.generate;

import dev.longctx.engine.EngineOptions;
import dev.longctx.engine.attention.RecallRecorder;
import dev.longctx.engine.attention.StepMetadata;
import dev.longctx.engine.attention.StepMetadata.Logits;
import dev.longctx.engine.kv.KvCache;
import dev.longctx.engine.model.Qwen2Model;
import dev.longctx.engine.sampling.Sampler;
import dev.longctx.engine.sampling.SamplingParams;
import java.util.Arrays;
import java.util.Set;
import java.util.function.IntPredicate;
import java.util.random.RandomGenerator;

/**
 * Single-sequence generation and scoring for the CLI, tests and evaluation: chunked prefill, then decode, on a
 * private paged KV cache. (The serving path batches many sequences through the scheduler instead.)
 */
public final class Generator {
    private final Qwen2Model model;

    public Generator(Qwen2Model model) {
        this.model = model;
    }

    /** Logits of every position, prefilled in pieces of at most the configured chunk size. */
    public float[][] score(int[] ids, RecallRecorder recorder) {
        float[][] logits = new float[ids.length][];
        try (KvCache cache = newCache(ids.length)) {
            prefill(ids, cache, Logits.ALL, recorder, (start, rows) -> System.arraycopy(rows, 0, logits, start, rows.length));
        }
        return logits;
    }

    /** Prefills ids with no lm_head at all: for measuring attention (recall, density) where logits are not needed. */
    public void prefillOnly(int[] ids, RecallRecorder recorder) {
        try (KvCache cache = newCache(ids.length)) {
            prefill(ids, cache, Logits.NONE, recorder, (start, rows) -> { });
        }
    }

    /**
     * Generates after {@code promptIds}. {@code onToken} sees every new token and returns false to stop (stop
     * strings are matched by the caller, which owns detokenization).
     */
    public GenerationStats generate(int[] promptIds, SamplingParams params, IntPredicate onToken) {
        if (promptIds.length == 0) throw new IllegalArgumentException("the prompt is empty");
        int maxLen = promptIds.length + params.maxTokens();
        RandomGenerator rng = Sampler.rngFor(params.seed());
        Set<Integer> eos = params.ignoreEos() ? Set.of() : StopChecker.eosIds(model.config(), model.generationConfig());
        int[] tokens = Arrays.copyOf(promptIds, maxLen);
        int length = promptIds.length;

        try (KvCache cache = newCache(maxLen)) {
            long t0 = System.nanoTime();
            float[][] last = new float[1][];
            prefill(promptIds, cache, Logits.LAST, null, (start, rows) -> last[0] = rows[0]);
            long t1 = System.nanoTime();
            float[] logits = last[0];
            String finish = "length";
            int generated = 0;
            int[] table = identityTable(cache.numBlocks());
            while (true) {
                int next = Sampler.sample(logits, params, Arrays.copyOf(tokens, length),
                        Arrays.copyOfRange(tokens, promptIds.length, length), rng);
                tokens[length++] = next;
                generated++;
                boolean keepGoing = onToken.test(next);
                if (!keepGoing || eos.contains(next) || params.stopTokenIds().contains(next)) {
                    finish = "stop";
                    break;
                }
                if (generated >= params.maxTokens()) break;
                // Decode: T of the request rule is the current length.
                StepMetadata step = model.newStep(null).add(new int[] {next}, length - 1, table, length, false, Logits.LAST).build();
                logits = model.forward(step, cache)[0];
            }
            long t2 = System.nanoTime();
            return new GenerationStats(promptIds.length, generated, (t1 - t0) / 1e9, (t2 - t1) / 1e9, finish);
        }
    }

    private interface LogitsSink {
        void accept(int start, float[][] rows);
    }

    /** Prefills ids into the cache in pieces; sink gets each piece's requested logits (first row's position, rows). */
    private void prefill(int[] ids, KvCache cache, Logits mode, RecallRecorder recorder, LogitsSink sink) {
        EngineOptions options = model.options();
        int piece = Math.max(1, Math.min(options.maxPrefillChunk(), model.maxTokensPerStep()));
        boolean sparse = model.sparsePrefill(null, ids.length);
        int[] table = identityTable(cache.numBlocks());
        for (int start = 0; start < ids.length; start += piece) {
            int end = Math.min(ids.length, start + piece);
            boolean lastPiece = end == ids.length;
            Logits want = mode != Logits.LAST ? mode : lastPiece ? Logits.LAST : Logits.NONE;
            // Prefill: T of the request rule is the prompt length, for every piece.
            StepMetadata step = model.newStep(recorder)
                    .add(Arrays.copyOfRange(ids, start, end), start, table, ids.length, sparse, want).build();
            float[][] rows = model.forward(step, cache);
            if (rows.length > 0) sink.accept(want == Logits.LAST ? end - 1 : start, rows);
        }
    }

    /** A private cache big enough for maxLen tokens, with an identity block table. */
    private KvCache newCache(int maxLen) {
        int blockSize = model.options().kvBlockSize();
        return model.newKvCache(Math.max(1, (maxLen + blockSize - 1) / blockSize), blockSize);
    }

    private static int[] identityTable(int blocks) {
        int[] table = new int[blocks];
        for (int i = 0; i < blocks; i++) table[i] = i;
        return table;
    }
}
