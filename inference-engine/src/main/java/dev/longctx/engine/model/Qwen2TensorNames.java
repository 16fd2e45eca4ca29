package dev.longctx.engine.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The Hugging Face names and shapes of every tensor of a {@code Qwen2ForCausalLM} checkpoint. The model code and
 * {@code CheckpointValidator} both read names from here, so a typo cannot make them disagree.
 * Linear weights are stored [out_features, in_features], as PyTorch does.
 */
public final class Qwen2TensorNames {

    public static final String EMBED_TOKENS = "model.embed_tokens.weight";
    public static final String FINAL_NORM = "model.norm.weight";
    public static final String LM_HEAD = "lm_head.weight";

    // Suffixes of the per-layer tensors; combine with layer(i, suffix).
    public static final String INPUT_NORM = "input_layernorm.weight";
    public static final String Q_WEIGHT = "self_attn.q_proj.weight";
    public static final String Q_BIAS = "self_attn.q_proj.bias";
    public static final String K_WEIGHT = "self_attn.k_proj.weight";
    public static final String K_BIAS = "self_attn.k_proj.bias";
    public static final String V_WEIGHT = "self_attn.v_proj.weight";
    public static final String V_BIAS = "self_attn.v_proj.bias";
    public static final String O_WEIGHT = "self_attn.o_proj.weight";
    public static final String POST_ATTENTION_NORM = "post_attention_layernorm.weight";
    public static final String GATE_WEIGHT = "mlp.gate_proj.weight";
    public static final String UP_WEIGHT = "mlp.up_proj.weight";
    public static final String DOWN_WEIGHT = "mlp.down_proj.weight";

    private Qwen2TensorNames() {}

    /** The full name of a per-layer tensor, e.g. {@code layer(3, Q_WEIGHT)} = "model.layers.3.self_attn.q_proj.weight". */
    public static String layer(int layer, String suffix) {
        return "model.layers." + layer + "." + suffix;
    }

    /** A tensor the model needs and the shape it must have. */
    public record TensorSpec(String name, long[] shape) {
        public TensorSpec {
            shape = shape.clone();
        }

        @Override
        public long[] shape() { return shape.clone(); }

        @Override
        public String toString() { return name + " " + Arrays.toString(shape); }
    }

    /** Every tensor of {@code config}'s model, in load order; lm_head is left out when tied to the embedding. */
    public static List<TensorSpec> expected(ModelConfig config) {
        long vocab = config.vocabSize(), d = config.hiddenSize(), ffn = config.intermediateSize();
        long q = config.qDim(), kv = config.kvDim();
        List<TensorSpec> specs = new ArrayList<>();
        specs.add(new TensorSpec(EMBED_TOKENS, new long[] {vocab, d}));
        for (int i = 0; i < config.numLayers(); i++) {
            specs.add(new TensorSpec(layer(i, INPUT_NORM), new long[] {d}));
            specs.add(new TensorSpec(layer(i, Q_WEIGHT), new long[] {q, d}));
            specs.add(new TensorSpec(layer(i, Q_BIAS), new long[] {q}));
            specs.add(new TensorSpec(layer(i, K_WEIGHT), new long[] {kv, d}));
            specs.add(new TensorSpec(layer(i, K_BIAS), new long[] {kv}));
            specs.add(new TensorSpec(layer(i, V_WEIGHT), new long[] {kv, d}));
            specs.add(new TensorSpec(layer(i, V_BIAS), new long[] {kv}));
            specs.add(new TensorSpec(layer(i, O_WEIGHT), new long[] {d, q}));
            specs.add(new TensorSpec(layer(i, POST_ATTENTION_NORM), new long[] {d}));
            specs.add(new TensorSpec(layer(i, GATE_WEIGHT), new long[] {ffn, d}));
            specs.add(new TensorSpec(layer(i, UP_WEIGHT), new long[] {ffn, d}));
            specs.add(new TensorSpec(layer(i, DOWN_WEIGHT), new long[] {d, ffn}));
        }
        specs.add(new TensorSpec(FINAL_NORM, new long[] {d}));
        if (!config.tieWordEmbeddings()) specs.add(new TensorSpec(LM_HEAD, new long[] {vocab, d}));
        return specs;
    }
}
