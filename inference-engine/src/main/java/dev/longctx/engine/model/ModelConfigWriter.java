package dev.longctx.engine.model;

import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.databind.SerializationFeature;

/**
 * Writes a {@link ModelConfig} as a Qwen2 {@code config.json} in the transformers 4.x layout, the inverse of
 * {@link ModelConfigLoader}: reading what this writes gives back an equal config. The engine's test checkpoints
 * and the e2e random model use it. (The benchmarks' random checkpoint has its own writer: it reproduces Qwen2.5's
 * full file with a single EOS id, which Jlama needs.)
 */
public final class ModelConfigWriter {
    private static final JsonMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    private ModelConfigWriter() {}

    public static String toJson(ModelConfig c) {
        ObjectNode root = JSON.createObjectNode();
        if (c.architecture() != null) root.putArray("architectures").add(c.architecture());
        root.put("model_type", "qwen2");
        root.put("hidden_act", "silu");
        root.put("vocab_size", c.vocabSize());
        root.put("hidden_size", c.hiddenSize());
        root.put("intermediate_size", c.intermediateSize());
        root.put("num_hidden_layers", c.numLayers());
        root.put("num_attention_heads", c.numHeads());
        root.put("num_key_value_heads", c.numKvHeads());
        root.put("head_dim", c.headDim());
        root.put("rms_norm_eps", c.rmsNormEps());
        root.put("rope_theta", c.ropeTheta());
        root.put("max_position_embeddings", c.maxPositionEmbeddings());
        root.put("tie_word_embeddings", c.tieWordEmbeddings());
        if (c.torchDtype() != null) root.put("torch_dtype", c.torchDtype());
        if (c.bosTokenId() != null) root.put("bos_token_id", c.bosTokenId());
        // transformers writes a single id as a number and several as a list; readers accept both.
        if (c.eosTokenIds().size() == 1) {
            root.put("eos_token_id", c.eosTokenIds().getFirst());
        } else if (!c.eosTokenIds().isEmpty()) {
            ArrayNode eos = root.putArray("eos_token_id");
            c.eosTokenIds().forEach(eos::add);
        }
        if (c.dca() != null) {
            ObjectNode dca = root.putObject("dual_chunk_attention_config");
            dca.put("chunk_size", c.dca().chunkSize());
            dca.put("local_size", c.dca().localSize());
            dca.put("original_max_position_embeddings", c.dca().originalMaxPositionEmbeddings());
        }
        return JSON.writeValueAsString(root) + "\n";
    }
}
