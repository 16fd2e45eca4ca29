package dev.longctx.engine.serving;

import static org.assertj.core.api.Assertions.assertThat;

import dev.longctx.common.prefix.BlockHash;
import dev.longctx.engine.EngineOptions;
import dev.longctx.engine.attention.StepMetadata;
import dev.longctx.engine.kv.BlockAllocator;
import dev.longctx.engine.kv.BlockManager;
import dev.longctx.engine.kv.BlockTable;
import dev.longctx.engine.kv.KvCache;
import dev.longctx.engine.kv.KvCacheBlockIo;
import dev.longctx.engine.kv.TokenIds;
import dev.longctx.engine.model.ModelConfig;
import dev.longctx.engine.model.Qwen2Model;
import dev.longctx.engine.weights.DType;
import dev.longctx.engine.weights.TinyQwen2Checkpoint;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A prefix whose K/V was copied as bytes from another cache (a KV pull between instances) gives the same logits
 * for the rest of the prompt as computing the whole prompt.
 */
class KvPullLogitsTest {
    private static final int BS = 4;

    @TempDir
    Path dir;

    @Test
    void pulledPrefixGivesTheLogitsOfARecompute() {
        ModelConfig config = TinyQwen2Checkpoint.tinyConfig(false);
        TinyQwen2Checkpoint.write(dir, config, DType.BF16, 1, 11);
        Random random = new Random(3);
        int[] prompt = random.ints(42, 0, config.vocabSize()).toArray();
        EngineOptions options = EngineOptions.defaults().withKvBlockSize(BS).withThreads(2);
        try (Qwen2Model model = Qwen2Model.load(dir, options)) {
            var facts = model.prefixFacts("tiny", BS);
            // the holder computes the whole prompt and names its blocks
            KvCache holderCache = model.newKvCache(16, BS);
            BlockManager holder = new BlockManager(new BlockAllocator(16), facts);
            BlockTable held = holder.newTable(prompt.length, null, null);
            holder.grow(held, prompt.length);
            float[][] recomputed = forward(model, holderCache, held, prompt, 0);
            holder.commit(held, TokenIds.of(prompt), prompt.length);
            List<BlockHash> names = facts.blockNames(Arrays.stream(prompt).boxed().toList(), null, null)
                    .subList(0, 8);                                       // pull 32 tokens of prefix

            // the holder's blocks, as bytes on the wire
            KvCacheBlockIo holderIo = new KvCacheBlockIo(holderCache);
            int[] pinned = holder.pin(names);
            ByteBuffer wire = ByteBuffer.allocate(pinned.length * holderIo.blockBytes());
            for (int id : pinned) holderIo.read(id, wire);
            holder.unpin(pinned);
            wire.flip();

            // another cache takes them in, then computes only the rest of the prompt
            KvCache pullerCache = model.newKvCache(16, BS);
            KvCacheBlockIo pullerIo = new KvCacheBlockIo(pullerCache);
            BlockManager puller = new BlockManager(new BlockAllocator(16), facts);
            for (BlockHash name : names) {
                int id = puller.reserveForImport();
                pullerIo.write(id, wire);
                assertThat(puller.completeImport(id, name)).isTrue();
            }
            BlockTable table = puller.newTable(prompt.length, null, null);
            int cached = puller.acquireCachedPrefix(table, TokenIds.of(prompt));
            assertThat(cached).isEqualTo(32);
            puller.grow(table, prompt.length);
            float[][] pulled = forward(model, pullerCache, table, Arrays.copyOfRange(prompt, cached, prompt.length), cached);

            for (int i = 0; i < pulled.length; i++) {
                float[] expected = recomputed[cached + i];
                float maxDiff = 0;
                for (int v = 0; v < expected.length; v++) maxDiff = Math.max(maxDiff, Math.abs(expected[v] - pulled[i][v]));
                assertThat(maxDiff).as("position %d", cached + i).isLessThanOrEqualTo(1e-5f);
            }
        }
    }

    /** Every position's logits for {@code tokens} at positions [start, start + n). */
    private static float[][] forward(Qwen2Model model, KvCache cache, BlockTable table, int[] tokens, int start) {
        int end = start + tokens.length;
        StepMetadata step = model.newStep(null)
                .add(tokens, start, table.toArray(), end, false, StepMetadata.Logits.ALL)
                .build();
        return model.forward(step, cache);
    }
}
