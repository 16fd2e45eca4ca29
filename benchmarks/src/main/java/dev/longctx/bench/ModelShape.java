package dev.longctx.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The dimensions of a Qwen2ForCausalLM checkpoint to generate. Every preset keeps
 * {@code hiddenSize == numHeads * headDim}: Jlama's Qwen2 config ignores {@code head_dim} and derives it as
 * hidden / heads, so any other shape would load with different tensors in the two engines.
 *
 * @param bosEosTokenId  id of {@code <|endoftext|>}, which Qwen2 base models use as both BOS and EOS; as in Qwen2's
 *                       tokenizer, the ids below it are the BPE vocabulary and the ids from it on are added tokens
 */
public record ModelShape(
        String name,
        int numLayers,
        int hiddenSize,
        int numHeads,
        int numKvHeads,
        int headDim,
        int intermediateSize,
        int vocabSize,
        boolean tieWordEmbeddings,
        int maxPositionEmbeddings,
        double ropeTheta,
        double rmsNormEps,
        int bosEosTokenId) {

    /** Qwen2.5-0.5B: the smallest real Qwen2 shape, so a CPU run finishes in minutes. */
    public static final ModelShape QWEN25_05B = new ModelShape("qwen2.5-0.5b", 24, 896, 14, 2, 64, 4864, 151936, true,
            32768, 1_000_000.0, 1e-6, 151643);

    /**
     * For development on a shared 2-core box: same structure (GQA 2:1, qkv bias, tied embeddings, head_dim 64)
     * at about 1/100 of the bytes, so a full comparison takes seconds.
     */
    public static final ModelShape SMALL = new ModelShape("small", 4, 256, 4, 2, 64, 768, 8192, true,
            32768, 1_000_000.0, 1e-6, 8192 - 3);

    public static final Map<String, ModelShape> PRESETS = Map.of(QWEN25_05B.name, QWEN25_05B, SMALL.name, SMALL);

    public ModelShape {
        if (hiddenSize != numHeads * headDim) {
            throw new IllegalArgumentException("hidden_size must equal num_attention_heads * head_dim (Jlama derives head_dim)");
        }
        if (numHeads % numKvHeads != 0) throw new IllegalArgumentException("num_attention_heads must be a multiple of num_key_value_heads");
        if (bosEosTokenId + 3 > vocabSize) throw new IllegalArgumentException("the three special tokens must fit below vocab_size");
    }

    public static ModelShape preset(String name) {
        ModelShape shape = PRESETS.get(name);
        if (shape == null) throw new IllegalArgumentException("unknown preset '" + name + "' (known: " + PRESETS.keySet() + ")");
        return shape;
    }

    public int qDim() { return numHeads * headDim; }

    public int kvDim() { return numKvHeads * headDim; }

    /** How a tensor is filled: normal(0, std) for matrices and biases, 1 + normal(0, std) for RMSNorm weights. */
    public record Init(double mean, double std) {}

    /** One tensor of the checkpoint, in HF naming. */
    public record TensorSpec(String name, long[] shape, Init init) {
        public long elements() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }
    }

    /** Every tensor of the checkpoint in file order: embedding, layers, final norm, then lm_head when untied. */
    public List<TensorSpec> tensors(double weightStd) {
        Init weight = new Init(0, weightStd);
        Init norm = new Init(1, weightStd / 2);
        List<TensorSpec> specs = new ArrayList<>();
        specs.add(new TensorSpec("model.embed_tokens.weight", new long[] {vocabSize, hiddenSize}, weight));
        for (int l = 0; l < numLayers; l++) {
            String p = "model.layers." + l + ".";
            specs.add(new TensorSpec(p + "input_layernorm.weight", new long[] {hiddenSize}, norm));
            specs.add(new TensorSpec(p + "self_attn.q_proj.weight", new long[] {qDim(), hiddenSize}, weight));
            specs.add(new TensorSpec(p + "self_attn.q_proj.bias", new long[] {qDim()}, weight));
            specs.add(new TensorSpec(p + "self_attn.k_proj.weight", new long[] {kvDim(), hiddenSize}, weight));
            specs.add(new TensorSpec(p + "self_attn.k_proj.bias", new long[] {kvDim()}, weight));
            specs.add(new TensorSpec(p + "self_attn.v_proj.weight", new long[] {kvDim(), hiddenSize}, weight));
            specs.add(new TensorSpec(p + "self_attn.v_proj.bias", new long[] {kvDim()}, weight));
            specs.add(new TensorSpec(p + "self_attn.o_proj.weight", new long[] {hiddenSize, qDim()}, weight));
            specs.add(new TensorSpec(p + "post_attention_layernorm.weight", new long[] {hiddenSize}, norm));
            specs.add(new TensorSpec(p + "mlp.gate_proj.weight", new long[] {intermediateSize, hiddenSize}, weight));
            specs.add(new TensorSpec(p + "mlp.up_proj.weight", new long[] {intermediateSize, hiddenSize}, weight));
            specs.add(new TensorSpec(p + "mlp.down_proj.weight", new long[] {hiddenSize, intermediateSize}, weight));
        }
        specs.add(new TensorSpec("model.norm.weight", new long[] {hiddenSize}, norm));
        if (!tieWordEmbeddings) specs.add(new TensorSpec("lm_head.weight", new long[] {vocabSize, hiddenSize}, weight));
        return specs;
    }
}
