package dev.longctx.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.longctx.common.prefix.PrefixSalt;
import dev.longctx.engine.EngineOptions;
import dev.longctx.engine.attention.DcaScaleRule;
import dev.longctx.engine.attention.SparseAttentionConfig;
import dev.longctx.engine.attention.StepMetadata;
import dev.longctx.engine.attention.StepMetadata.Logits;
import dev.longctx.engine.generate.Generator;
import dev.longctx.engine.kv.BlockAllocator;
import dev.longctx.engine.kv.BlockManager;
import dev.longctx.engine.kv.BlockTable;
import dev.longctx.engine.kv.KvCache;
import dev.longctx.engine.kv.TokenIds;
import dev.longctx.engine.weights.DType;
import dev.longctx.engine.weights.TinyQwen2Checkpoint;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The forward pass over batches and cached prefixes, on a small random model with DCA (chunk_size 32,
 * local_size 8: L = 24; P = 40, so prompts past 40 tokens have a temperature above 1).
 */
class ForwardPassTest {
    static final int BS = 8;

    @TempDir
    Path dir;

    static ModelConfig dcaConfig() {
        return new ModelConfig("Qwen2ForCausalLM", 64, 32, 48, 2, 4, 2, 8, 1e-6, 10000.0, 4096, false, "bfloat16",
                1, List.of(2), new DcaConfig(32, 8, 40));
    }

    private Qwen2Model load(DcaScaleRule rule) {
        TinyQwen2Checkpoint.write(dir, dcaConfig(), DType.BF16, 1, 11);
        return Qwen2Model.load(dir, EngineOptions.defaults().withKvBlockSize(BS).withMaxPrefillChunk(128).withThreads(2)
                .withSparse(false, 0, null).withDcaScale(rule));
    }

    static int[] ids(int n, long seed) {
        return ChunkedPrefillTest.randomIds(n, 64, seed);
    }

    static int[] table(int firstBlock, int blocks) {
        int[] t = new int[blocks];
        for (int i = 0; i < blocks; i++) t[i] = firstBlock + i;
        return t;
    }

    static float maxDiff(float[] a, float[] b) {
        float m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    /**
     * Prompt B shares its first {@code shared} tokens with prompt A. A is computed first; B then reuses A's full
     * blocks of the shared part (as the prefix cache does) and computes only the rest. Returns the largest difference
     * between B's logits so computed and a cold prefill of B.
     */
    private float cachedPrefixVersusCold(Qwen2Model model, int lengthA, int lengthB, int shared) {
        int[] a = ids(lengthA, 1);
        int[] b = ids(lengthB, 2);
        System.arraycopy(a, 0, b, 0, shared);
        float[][] cold = new Generator(model).score(b, null);

        int cachedBlocks = shared / BS;
        int cached = cachedBlocks * BS;
        int blocksA = (lengthA + BS - 1) / BS, blocksB = (lengthB + BS - 1) / BS;
        try (KvCache cache = model.newKvCache(blocksA + blocksB, BS)) {
            int[] tableA = table(0, blocksA);
            model.forward(model.newStep(null).add(a, 0, tableA, lengthA, false, Logits.NONE).build(), cache);
            int[] tableB = new int[blocksB];
            System.arraycopy(tableA, 0, tableB, 0, cachedBlocks);
            System.arraycopy(table(blocksA, blocksB), 0, tableB, cachedBlocks, blocksB - cachedBlocks);
            float[][] warm = model.forward(model.newStep(null)
                    .add(Arrays.copyOfRange(b, cached, lengthB), cached, tableB, lengthB, false, Logits.ALL).build(), cache);
            float worst = 0;
            for (int i = 0; i < warm.length; i++) worst = Math.max(worst, maxDiff(warm[i], cold[cached + i]));
            return worst;
        }
    }

    @Test
    void underThePositionRuleACachedPrefixGivesTheLogitsOfAColdPrefill() {
        try (Qwen2Model model = load(DcaScaleRule.POSITION)) {
            // Prompts past P = 40, prefixes ending on and off DCA chunk boundaries (L = 24), longer and shorter requests.
            assertThat(cachedPrefixVersusCold(model, 70, 101, 60)).isLessThanOrEqualTo(1e-5f);
            assertThat(cachedPrefixVersusCold(model, 125, 90, 75)).isLessThanOrEqualTo(1e-5f);
            assertThat(cachedPrefixVersusCold(model, 50, 120, 48)).isLessThanOrEqualTo(1e-5f);
        }
    }

    @Test
    void underTheRequestRuleKvOfAPrefixDependOnTheRequestLengthSoItsBlocksAreNamedApart() {
        try (Qwen2Model model = load(DcaScaleRule.REQUEST)) {
            // Why the salt must carry s_f(T): the same prefix computed in a 70-token request is not what a 101-token one computes.
            assertThat(cachedPrefixVersusCold(model, 70, 101, 60)).isGreaterThan(1e-4f);
            assertThat(blocksReusedBetween(model, 70, 101)).isZero();
            // Below P the temperature is 1 whatever T is, so those requests do share.
            assertThat(blocksReusedBetween(model, 30, 38)).isEqualTo(3 * BS);
        }
        try (Qwen2Model model = load(DcaScaleRule.POSITION)) {
            assertThat(blocksReusedBetween(model, 70, 101)).isEqualTo(7 * BS);
        }
    }

    /** Tokens of a request of lengthB found cached after a request of lengthA with the same first 60 tokens. */
    private static int blocksReusedBetween(Qwen2Model model, int lengthA, int lengthB) {
        BlockManager blocks = new BlockManager(new BlockAllocator(64), model.prefixFacts("test-model", BS));
        int[] a = ids(lengthA, 3);
        int[] b = ids(lengthB, 4);
        System.arraycopy(a, 0, b, 0, Math.min(60, Math.min(lengthA, lengthB) - 1));
        BlockTable ta = blocks.newTable(lengthA, null, null);
        blocks.acquireCachedPrefix(ta, TokenIds.of(a));
        blocks.grow(ta, lengthA);
        blocks.commit(ta, TokenIds.of(a), lengthA);
        return blocks.acquireCachedPrefix(blocks.newTable(lengthB, null, null), TokenIds.of(b));
    }

    @Test
    void thePrefixSaltCarriesWhatChangesKv() throws Exception {
        TinyQwen2Checkpoint.write(dir, dcaConfig(), DType.BF16, 1, 11);
        SparseAttentionConfig budgets = SparseAttentionConfig.uniform(2, 4, 8, 16);
        Path file = dir.resolve("budgets.json");
        budgets.write(file);
        EngineOptions options = EngineOptions.defaults().withKvBlockSize(BS).withSparse(true, 50, file);
        String model = "tiny-model@fingerprint";
        String dca = "chunk_size=32,local_size=8,original_max_position_embeddings=40";
        String sparse = "sparse=" + sha256(budgets.canonicalJson()) + ";threshold=50";
        try (Qwen2Model m = Qwen2Model.load(dir, options.withDcaScale(DcaScaleRule.REQUEST))) {
            assertThat(m.prefixFacts(model, BS).salt(100, null, "tenant")).isEqualTo(new PrefixSalt(model, "fp32", dca, "request",
                    Double.toString(1 + 0.1 * Math.log(100 / 40.0)), sparse, "tenant"));
            // Up to P the temperature is 1; up to the threshold, or with sparse off, blocks are computed densely.
            assertThat(m.prefixFacts(model, BS).salt(40, null, null)).isEqualTo(new PrefixSalt(model, "fp32", dca, "request", "", "", null));
            assertThat(m.prefixFacts(model, BS).salt(100, false, null).sparse()).isEmpty();
        }
        try (Qwen2Model m = Qwen2Model.load(dir, options.withDca(false))) {
            assertThat(m.prefixFacts(model, BS).salt(100, null, null)).isEqualTo(new PrefixSalt(model, "fp32", "none", "position", "", sparse, null));
        }
        assertThat(budgets.canonicalJson()).startsWith("[{\"0\":[\"vertical_and_slash\",8,16],\"1\":");
    }

    private static String sha256(String s) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    @Test
    void aBatchOfSequencesGivesEachTheLogitsItGetsAlone() {
        try (Qwen2Model model = load(DcaScaleRule.POSITION)) {
            int[] x = ids(45, 5), y = ids(100, 6), z = ids(61, 7);
            // x: a fresh prefill; y: the rest of a prompt after 57 cached tokens; z: a decode at position 60.
            StepMetadata.Builder together = model.newStep(null);
            try (KvCache batch = model.newKvCache(64, BS); KvCache alone = model.newKvCache(64, BS)) {
                int[] tx = table(0, 6), ty = table(10, 13), tz = table(30, 8);
                for (KvCache c : List.of(batch, alone)) {
                    model.forward(model.newStep(null).add(Arrays.copyOf(y, 57), 0, ty, 100, false, Logits.NONE).build(), c);
                    model.forward(model.newStep(null).add(Arrays.copyOf(z, 60), 0, tz, 61, false, Logits.NONE).build(), c);
                }
                together.add(x, 0, tx, 45, false, Logits.ALL)
                        .add(Arrays.copyOfRange(y, 57, 100), 57, ty, 100, false, Logits.LAST)
                        .add(new int[] {z[60]}, 60, tz, 61, false, Logits.LAST);
                float[][] got = model.forward(together.build(), batch);
                assertThat(got).hasNumberOfRows(45 + 1 + 1);
                float[][] gx = model.forward(model.newStep(null).add(x, 0, tx, 45, false, Logits.ALL).build(), alone);
                float[][] gy = model.forward(model.newStep(null).add(Arrays.copyOfRange(y, 57, 100), 57, ty, 100, false, Logits.LAST).build(), alone);
                float[][] gz = model.forward(model.newStep(null).add(new int[] {z[60]}, 60, tz, 61, false, Logits.LAST).build(), alone);
                float worst = 0;
                for (int i = 0; i < 45; i++) worst = Math.max(worst, maxDiff(got[i], gx[i]));
                worst = Math.max(worst, maxDiff(got[45], gy[0]));
                worst = Math.max(worst, maxDiff(got[46], gz[0]));
                // The dense layers take another kernel for one row than for many (decode streams weights), so only
                // rounding may differ.
                assertThat(worst).isLessThanOrEqualTo(1e-5f);
                assertThat(maxDiff(got[45], got[46])).as("different sequences, different logits").isGreaterThan(1e-3f);
            }
        }
    }

    @Test
    void aStepLargerThanTheBuffersIsRefusedWithTheNumbers() {
        try (Qwen2Model model = load(DcaScaleRule.POSITION); KvCache cache = model.newKvCache(40, BS)) {
            StepMetadata step = model.newStep(null).add(ids(129, 8), 0, table(0, 17), 129, false, Logits.LAST).build();
            assertThatThrownBy(() -> model.forward(step, cache)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("129").hasMessageContaining("128");
        }
    }

    @Test
    void bufferSizesAre64BitForMillionTokenDeployments() {
        // Qwen2.5-7B-Instruct-1M with 131,072-token prefill pieces: n × 2·inter passes 2³¹ (the old int arithmetic
        // went negative above 113,359 tokens).
        ModelConfig q7 = new ModelConfig("Qwen2ForCausalLM", 152064, 3584, 18944, 28, 28, 4, 128, 1e-6, 1e7, 1010000,
                false, "bfloat16", null, List.of(), new DcaConfig(262144, 8192, 262144));
        Activations.Shape s = Activations.Shape.of(q7, 131_072);
        assertThat(s.gateUpElements()).isEqualTo(131_072L * 2 * 18_944).isGreaterThan(Integer.MAX_VALUE);
        assertThat(s.actElements()).isEqualTo(2_483_027_968L);
        assertThat(s.qkvElements()).isEqualTo(131_072L * (3584 + 2 * 512));
        assertThat(s.logitsElements()).isEqualTo(64L * 152_064);
        assertThat(s.totalElements()).isEqualTo(3 * 131_072L * 3584 + s.qkvElements() + 131_072L * 3584
                + s.gateUpElements() + s.actElements() + 2 * 64L * 3584 + s.logitsElements());
    }
}
