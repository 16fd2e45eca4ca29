package dev.longctx.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Writes a random Qwen2ForCausalLM checkpoint directory that both longctx and Jlama load: model.safetensors (bf16),
 * config.json (transformers 4.x layout), generation_config.json and tokenizer.json.
 *
 * <pre>
 *   RandomCheckpointWriter --out DIR [--preset qwen2.5-0.5b|small] [--seed 42] [--std 0.02] [--force]
 * </pre>
 *
 * Random weights run exactly the same arithmetic as trained ones, so speed measured on them holds for a real
 * checkpoint of the same shape, without downloading one.
 */
public final class RandomCheckpointWriter {
    private static final String TRANSFORMERS_VERSION = "4.43.1";

    private RandomCheckpointWriter() {}

    public static void main(String[] args) throws IOException {
        Path out = null;
        String preset = ModelShape.QWEN25_05B.name();
        long seed = 42;
        double std = 0.02;
        boolean force = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--out" -> out = Path.of(args[++i]);
                case "--preset" -> preset = args[++i];
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--std" -> std = Double.parseDouble(args[++i]);
                case "--force" -> force = true;
                case "-h", "--help" -> {
                    System.out.println("usage: RandomCheckpointWriter --out DIR [--preset " + String.join("|", ModelShape.PRESETS.keySet())
                            + "] [--seed 42] [--std 0.02] [--force]");
                    return;
                }
                default -> throw new IllegalArgumentException("unknown argument: " + args[i]);
            }
        }
        if (out == null) throw new IllegalArgumentException("--out DIR is required");
        write(out, ModelShape.preset(preset), seed, std, force);
    }

    public static void write(Path dir, ModelShape shape, long seed, double std, boolean force) throws IOException {
        Path weights = dir.resolve("model.safetensors");
        if (Files.exists(weights) && !force) {
            throw new IllegalStateException(weights + " exists; pass --force to overwrite");
        }
        Files.createDirectories(dir);
        long t0 = System.nanoTime();
        long bytes = SafetensorsWriter.write(weights, shape.tensors(std), seed);
        Files.writeString(dir.resolve("config.json"), configJson(shape));
        Files.writeString(dir.resolve("generation_config.json"), generationConfigJson(shape));
        TokenizerJsonWriter.write(dir.resolve("tokenizer.json"), shape);
        System.out.printf(Locale.ROOT, "wrote %s preset '%s': %.1f MB of bf16 weights in %.1f s%n", dir, shape.name(),
                bytes / 1e6, (System.nanoTime() - t0) / 1e9);
    }

    /** As Qwen2.5 ships it (transformers 4.x: top-level rope_theta, torch_dtype); a single EOS id, as Jlama requires. */
    static String configJson(ModelShape s) {
        return String.format(Locale.ROOT, """
                {
                  "architectures": ["Qwen2ForCausalLM"],
                  "attention_dropout": 0.0,
                  "bos_token_id": %d,
                  "eos_token_id": %d,
                  "hidden_act": "silu",
                  "hidden_size": %d,
                  "initializer_range": 0.02,
                  "intermediate_size": %d,
                  "max_position_embeddings": %d,
                  "max_window_layers": %d,
                  "model_type": "qwen2",
                  "num_attention_heads": %d,
                  "num_hidden_layers": %d,
                  "num_key_value_heads": %d,
                  "rms_norm_eps": %s,
                  "rope_theta": %s,
                  "sliding_window": %d,
                  "tie_word_embeddings": %b,
                  "torch_dtype": "bfloat16",
                  "transformers_version": "%s",
                  "use_cache": true,
                  "use_sliding_window": false,
                  "vocab_size": %d
                }
                """, s.bosEosTokenId(), s.bosEosTokenId(), s.hiddenSize(), s.intermediateSize(), s.maxPositionEmbeddings(),
                s.numLayers(), s.numHeads(), s.numLayers(), s.numKvHeads(), Double.toString(s.rmsNormEps()),
                Double.toString(s.ropeTheta()), s.maxPositionEmbeddings(), s.tieWordEmbeddings(), TRANSFORMERS_VERSION,
                s.vocabSize());
    }

    static String generationConfigJson(ModelShape s) {
        return String.format(Locale.ROOT, """
                {
                  "bos_token_id": %d,
                  "do_sample": false,
                  "eos_token_id": %d,
                  "max_new_tokens": 2048,
                  "transformers_version": "%s"
                }
                """, s.bosEosTokenId(), s.bosEosTokenId(), TRANSFORMERS_VERSION);
    }
}
