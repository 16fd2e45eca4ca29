package dev.longctx.e2e;

import dev.longctx.engine.model.ModelConfig;
import dev.longctx.engine.model.ModelConfigLoader;
import dev.longctx.engine.model.ModelConfigWriter;
import dev.longctx.engine.model.Qwen2TensorNames;
import dev.longctx.engine.model.Qwen2TensorNames.TensorSpec;
import dev.longctx.engine.weights.DType;
import dev.longctx.engine.weights.SafetensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * Writes a complete model directory around a small random Qwen2 checkpoint, so the stack can run without a
 * trained model: config.json, model.safetensors, generation_config.json and the byte-level BPE tokenizer
 * fixture of inference-engine's tests (271 byte/merge tokens + 3 ChatML specials, with a ChatML template).
 *
 * <p>Weights are Gaussian with small per-kind scales so the logits are neither flat nor one-hot: greedy decoding
 * is stable against rounding differences (stop-string and seed tests compare texts across backends) while
 * temperature-1 sampling still depends on the seed.
 */
public final class RandomQwen2Model {

    /** The tokenizer fixture's size: ids 0..270 are bytes and merges, 271..273 the specials. */
    public static final int VOCAB_SIZE = 274;
    public static final int ENDOFTEXT_ID = 271;
    public static final int IM_END_ID = 273;

    private RandomQwen2Model() {}

    /** 2 layers, hidden 64, 4 query heads over 2 KV heads of dim 16, FFN 128; {@code maxPositions} tokens of context. */
    public static ModelConfig config(int maxPositions) {
        return new ModelConfig("Qwen2ForCausalLM", VOCAB_SIZE, 64, 128, 2, 4, 2, 16, 1e-6, 1e6, maxPositions,
                false, "bfloat16", ENDOFTEXT_ID, List.of(IM_END_ID, ENDOFTEXT_ID), null);
    }

    /**
     * Writes the model into {@code dir} (created if missing) and returns it.
     *
     * @param repoRoot the longctx checkout, whose inference-engine test resources hold the tokenizer files
     */
    public static Path write(Path dir, Path repoRoot, int maxPositions, long seed) {
        ModelConfig config = config(maxPositions);
        Random random = new Random(seed);
        SafetensorsWriter weights = new SafetensorsWriter().metadata("format", "pt");
        for (TensorSpec spec : Qwen2TensorNames.expected(config)) {
            weights.add(spec.name(), DType.BF16, spec.shape(), values(spec, random));
        }
        Path tokenizerFixture = repoRoot.resolve("inference-engine/src/test/resources/tokenizer");
        try {
            Files.createDirectories(dir);
            weights.write(dir.resolve("model.safetensors"));
            Files.writeString(dir.resolve(ModelConfigLoader.FILE_NAME), ModelConfigWriter.toJson(config));
            Files.writeString(dir.resolve("generation_config.json"), """
                    {"bos_token_id": %d, "eos_token_id": [%d, %d]}
                    """.formatted(ENDOFTEXT_ID, IM_END_ID, ENDOFTEXT_ID));
            for (String file : List.of("tokenizer.json", "tokenizer_config.json")) {
                Files.copy(tokenizerFixture.resolve(file), dir.resolve(file),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    private static float[] values(TensorSpec spec, Random random) {
        long[] shape = spec.shape();
        long numel = 1;
        for (long d : shape) numel *= d;
        float[] values = new float[Math.toIntExact(numel)];
        String name = spec.name();
        if (name.endsWith("norm.weight")) {
            java.util.Arrays.fill(values, 1f);      // RMSNorm gains: identity
            return values;
        }
        double std = name.endsWith(".bias") ? 0.02
                : name.equals(Qwen2TensorNames.EMBED_TOKENS) ? 1.0
                : name.equals(Qwen2TensorNames.LM_HEAD) ? 0.35  // logits of std ~2.8 after the final norm
                : 0.08;
        for (int i = 0; i < values.length; i++) values[i] = (float) (random.nextGaussian() * std);
        return values;
    }
}
