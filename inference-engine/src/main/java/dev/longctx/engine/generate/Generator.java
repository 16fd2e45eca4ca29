package dev.longctx.engine.generate;

import dev.longctx.engine.EngineOptions;
import dev.longctx.engine.attention.AttentionOptions;
import dev.longctx.engine.attention.RecallRecorder;
import dev.longctx.engine.kv.KvCache;
import dev.longctx.engine.kv.SequenceKv;
import dev.longctx.engine.model.Qwen2Model;
import dev.longctx.engine.model.SequenceChunk;
import dev.longctx.engine.sampling.Sampler;
import dev.longctx.engine.sampling.SamplingParams;
import java.util.Arrays;
import java.util.List;
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
        int vocab = model.config().vocabSize();
        float[][] logits = new float[ids.length][];
        SequenceKv kv = newSequenceKv(ids.length);
        prefill(ids, kv, SequenceChunk.Logits.ALL, recorder, null, (start, rows) -> {
            for (int i = 0; i * vocab < rows.length; i++) {
                logits[start + i] = Arrays.copyOfRange(rows, i * vocab, (i + 1) * vocab);
            }
        });
        return logits;
    }

    /** Prefills ids with no lm_head at all: for measuring attention (recall, density) where logits are not needed. */
    public void prefillOnly(int[] ids, RecallRecorder recorder) {
        prefill(ids, newSequenceKv(ids.length), SequenceChunk.Logits.NONE, recorder, null, (start, rows) -> { });
    }

    /**
     * Generates after {@code promptIds}. {@code onToken} sees every new token and returns false to stop (stop
     * strings are matched by the caller, which owns detokenization).
     */
    public GenerationStats generate(int[] promptIds, SamplingParams params, IntPredicate onToken) {
        if (promptIds.length == 0) throw new IllegalArgumentException("the prompt is empty");
        int maxLen = promptIds.length + params.maxTokens();
        SequenceKv kv = newSequenceKv(maxLen);
        RandomGenerator rng = Sampler.rngFor(params.seed());
        Set<Integer> eos = params.ignoreEos() ? Set.of() : StopChecker.eosIds(model.config(), model.generationConfig());
        int[] tokens = Arrays.copyOf(promptIds, maxLen);
        int length = promptIds.length;

        long t0 = System.nanoTime();
        float[][] last = new float[1][];
        prefill(promptIds, kv, SequenceChunk.Logits.LAST, null, null, (start, rows) -> last[0] = rows);
        long t1 = System.nanoTime();
        float[] logits = last[0];
        String finish = "length";
        int generated = 0;
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
            SequenceChunk step = new SequenceChunk(new int[] {next}, length - 1, kv.withLength(length),
                    SequenceChunk.Logits.LAST, new AttentionOptions(length, false, null));
            logits = model.forward(List.of(step))[0];
        }
        long t2 = System.nanoTime();
        return new GenerationStats(promptIds.length, generated, (t1 - t0) / 1e9, (t2 - t1) / 1e9, finish);
    }

    private interface LogitsSink {
        void accept(int start, float[] rows);
    }

    /** Prefills ids into kv in pieces; sink gets each piece's requested logits. */
    private void prefill(int[] ids, SequenceKv kv, SequenceChunk.Logits mode, RecallRecorder recorder,
                         Boolean sparse, LogitsSink sink) {
        EngineOptions options = model.options();
        int piece = Math.max(1, options.maxPrefillChunk());
        boolean useSparse = sparse != null ? sparse : options.sparse();
        for (int start = 0; start < ids.length; start += piece) {
            int end = Math.min(ids.length, start + piece);
            boolean lastPiece = end == ids.length;
            SequenceChunk.Logits want = mode != SequenceChunk.Logits.LAST ? mode
                    : lastPiece ? SequenceChunk.Logits.LAST : SequenceChunk.Logits.NONE;
            SequenceChunk chunk = new SequenceChunk(Arrays.copyOfRange(ids, start, end), start, kv.withLength(end),
                    want, new AttentionOptions(ids.length, useSparse, recorder));
            float[] rows = model.forward(List.of(chunk))[0];
            if (rows != null) sink.accept(want == SequenceChunk.Logits.LAST ? end - 1 : start, rows);
        }
    }

    /** A private cache with an identity block table big enough for maxLen tokens. */
    private SequenceKv newSequenceKv(int maxLen) {
        int blockSize = model.options().kvBlockSize();
        int blocks = Math.max(1, (maxLen + blockSize - 1) / blockSize);
        KvCache cache = model.newKvCache(blocks, blockSize);
        int[] table = new int[blocks];
        for (int i = 0; i < blocks; i++) table[i] = i;
        return new SequenceKv(cache, table, 0);
    }
}
