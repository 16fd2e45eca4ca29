package dev.longctx.engine.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.longctx.engine.bench.Geometry.Mode;
import dev.longctx.engine.model.ModelConfig;
import org.junit.jupiter.api.Test;

/** The FLOP and byte counts against hand computations. */
class WorkTest {

    @Test
    void gemmFlopsAreTwicePerLayerWeightsTimesTokensPlusTheLmHeadRows() {
        ModelConfig c = Geometry.QWEN25_7B_1M.config();
        // Per layer: q/k/v 3584 x (3584 + 2 x 512) = 16,515,072; o 3584 x 3584 = 12,845,056;
        // gate/up 2 x 3584 x 18944 = 135,790,592; down 18944 x 3584 = 67,895,296.
        assertThat(Work.matrixParamsPerLayer(c)).isEqualTo(16_515_072L + 12_845_056L + 135_790_592L + 67_895_296L);
        // 32K tokens through 28 layers, and one logits row: 2 x 32768 x 233,046,016 x 28 + 2 x 152064 x 3584.
        assertThat(Work.gemmFlops(c, 32768, 1)).isEqualTo(2.0 * 32768 * 233_046_016L * 28 + 2.0 * 152064 * 3584);
        assertThat(Work.gemmFlops(c, 32768, 1)).isCloseTo(4.276e14, within(1e11));
        assertThat(Work.gemmFlops(c, 0, 0)).isZero();
    }

    @Test
    void causalAttentionCountsEveryKeyOfEveryQueryOnce() {
        ModelConfig tiny = Geometry.TINY.config();  // 4 heads of 16, 2 layers
        // Queries at 0..3 see 1 + 2 + 3 + 4 = 10 keys: 4 x 16 x 4 x 10 x 2 layers.
        assertThat(Work.attentionFlops(tiny, 0, 4)).isEqualTo(4.0 * 16 * 4 * 10 * 2);
        // A second piece, queries at 3 and 4 after three cached tokens: 4 + 5 keys.
        assertThat(Work.attentionFlops(tiny, 3, 2)).isEqualTo(4.0 * 16 * 4 * 9 * 2);
        // Pieces add up to the whole prompt.
        assertThat(Work.attentionFlops(tiny, 0, 3) + Work.attentionFlops(tiny, 3, 2)).isEqualTo(Work.attentionFlops(tiny, 0, 5));
        // 7B at 32K: 4 x 128 x 28 x (32768 x 32769 / 2) per layer, 28 layers, about 2.16e14: the same as PyTorch's
        // 4·H·d·N²/2 to within 1/N.
        ModelConfig c = Geometry.QWEN25_7B_1M.config();
        assertThat(Work.attentionFlops(c, 0, 32768)).isEqualTo(4.0 * 128 * 28 * (32768.0 * 32769 / 2) * 28);
        assertThat(Work.attentionFlops(c, 0, 32768) / (4.0 * 28 * 128 * 32768.0 * 32768 / 2 * 28)).isCloseTo(1, within(1e-4));
    }

    @Test
    void aDecodeStepReadsEveryWeightButTheEmbeddingTableAndTheKvOfItsContext() {
        ModelConfig small = Geometry.QWEN25_05B.config();  // tied: the lm_head is the embedding, read once
        assertThat(Work.decodeWeightBytes(small, 2)).isEqualTo(2 * small.parameterCount()).isEqualTo(2 * 494_032_768L);
        ModelConfig c = Geometry.QWEN25_7B_1M.config();    // untied: the embedding table is only looked up
        assertThat(Work.decodeWeightBytes(c, 2)).isEqualTo(2 * (c.parameterCount() - 152064L * 3584));
        // K and V of 128K tokens, bf16: 28 layers x 2 x 512 x 2 bytes x 131072 = 7.5 GB (PERFORMANCE.md: 57 GB at 1M).
        assertThat(Work.kvBytes(c, 131072, 2)).isEqualTo(28L * 2 * 512 * 2 * 131072).isEqualTo(7_516_192_768L);
    }

    @Test
    void geometriesAreTheReleasedConfigsAndDcaIsRefusedWhereThereIsNone() {
        ModelConfig b14 = Geometry.named("qwen2.5-14b-instruct-1m").config(Mode.DCA);
        assertThat(b14.hiddenSize()).isEqualTo(5120);
        assertThat(b14.numLayers()).isEqualTo(48);
        assertThat(b14.numHeads()).isEqualTo(40);
        assertThat(b14.numKvHeads()).isEqualTo(8);
        assertThat(b14.intermediateSize()).isEqualTo(13824);
        assertThat(b14.dca().chunkLen()).isEqualTo(262144 - 8192);
        assertThat(Geometry.QWEN25_7B_1M.config(Mode.DENSE).dca()).isNull();
        assertThat(b14.dca().chunkLen() % Geometry.QWEN25_7B_1M.kvBlockSize()).isZero();
        assertThat(Geometry.TINY.config().dca().chunkLen() % Geometry.TINY.kvBlockSize()).isZero();
        assertThatThrownBy(() -> Geometry.QWEN25_05B.config(Mode.DCA)).hasMessageContaining("has no DCA config");
        assertThatThrownBy(() -> Geometry.named("llama")).hasMessageContaining("qwen2.5-7b-instruct-1m");
    }
}
