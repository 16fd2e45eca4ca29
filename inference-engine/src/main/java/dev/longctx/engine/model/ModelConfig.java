package dev.longctx.engine.model;

import java.util.List;

/**
 * Every field of a Qwen2 {@code config.json} that the engine reads. Built by {@link ModelConfigLoader}, which
 * accepts both the transformers 4.x layout (top-level {@code rope_theta}, {@code rope_scaling}) and 5.x's
 * {@code rope_parameters}.
 *
 * @param dca null when config.json has no {@code dual_chunk_attention_config}
 */
public record ModelConfig(
        String architecture,
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        double rmsNormEps,
        double ropeTheta,
        int maxPositionEmbeddings,
        boolean tieWordEmbeddings,
        String torchDtype,
        Integer bosTokenId,
        List<Integer> eosTokenIds,
        DcaConfig dca) {

    public ModelConfig {
        eosTokenIds = eosTokenIds == null ? List.of() : List.copyOf(eosTokenIds);
        if (numKvHeads <= 0 || numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads (" + numHeads
                    + ") must be a positive multiple of num_key_value_heads (" + numKvHeads + ")");
        }
    }

    public int qDim() { return numHeads * headDim; }

    public int kvDim() { return numKvHeads * headDim; }

    /** Query heads per KV head (GQA group size). */
    public int groupSize() { return numHeads / numKvHeads; }

    /** A copy with DCA removed ({@code --no-dca}). */
    public ModelConfig withoutDca() {
        return new ModelConfig(architecture, vocabSize, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads,
                headDim, rmsNormEps, ropeTheta, maxPositionEmbeddings, tieWordEmbeddings, torchDtype, bosTokenId,
                eosTokenIds, null);
    }

    /** Parameter count as stored (embedding counted once when tied). */
    public long parameterCount() {
        long d = hiddenSize;
        long perLayer = d * qDim() + qDim() + 2 * (d * kvDim() + kvDim()) + (long) qDim() * d
                + 3 * d * intermediateSize + 2 * d;
        long emb = (long) vocabSize * d;
        return emb + (tieWordEmbeddings ? 0 : emb) + numLayers * perLayer + d;
    }

    /** KV bytes per token for a cache element of {@code bytesPerElement} bytes. */
    public long kvBytesPerToken(int bytesPerElement) {
        return 2L * numLayers * kvDim() * bytesPerElement;
    }
}
