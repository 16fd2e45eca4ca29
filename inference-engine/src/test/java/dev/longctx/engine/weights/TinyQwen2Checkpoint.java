package dev.longctx.engine.weights;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import dev.longctx.engine.model.ModelConfig;
import dev.longctx.engine.model.ModelConfigLoader;
import dev.longctx.engine.model.ModelConfigWriter;
import dev.longctx.engine.model.Qwen2TensorNames;
import dev.longctx.engine.model.Qwen2TensorNames.TensorSpec;

/**
 * Writes a tiny random Qwen2 checkpoint (config.json + safetensors) for tests. Values are multiples of 1/64 in
 * [-1, 1], exactly representable in every supported dtype, so a test can compare what it reads to what it wrote.
 */
public final class TinyQwen2Checkpoint {

    private TinyQwen2Checkpoint() {}

    /** A 2-layer GQA model: vocab 16, hidden 8, 4 query heads over 2 KV heads of dim 2, FFN 12. */
    public static ModelConfig tinyConfig(boolean tied) {
        return new ModelConfig("Qwen2ForCausalLM", 16, 8, 12, 2, 4, 2, 2, 1e-6, 1e6, 128, tied, "bfloat16",
                1, List.of(2), null);
    }

    /** Writes config.json and one tensor per spec of {@code config}, in {@code shards} files with an index when > 1. */
    public static void write(Path dir, ModelConfig config, DType dtype, int shards, long seed) {
        List<TensorSpec> specs = Qwen2TensorNames.expected(config);
        Random random = new Random(seed);
        SafetensorsWriter[] writers = new SafetensorsWriter[shards];
        for (int s = 0; s < shards; s++) writers[s] = new SafetensorsWriter().metadata("format", "pt");
        StringBuilder weightMap = new StringBuilder();
        for (int i = 0; i < specs.size(); i++) {
            TensorSpec spec = specs.get(i);
            int shard = i * shards / specs.size();
            writers[shard].add(spec.name(), dtype, spec.shape(), randomValues(spec.shape(), random));
            if (!weightMap.isEmpty()) weightMap.append(",\n");
            weightMap.append("    \"").append(spec.name()).append("\": \"").append(shardName(shard, shards)).append('"');
        }
        try {
            Files.writeString(dir.resolve(ModelConfigLoader.FILE_NAME), ModelConfigWriter.toJson(config));
            for (int s = 0; s < shards; s++) writers[s].write(dir.resolve(shardName(s, shards)));
            if (shards > 1) {
                Files.writeString(dir.resolve(Checkpoint.INDEX_FILE),
                        "{\"metadata\": {}, \"weight_map\": {\n" + weightMap + "\n}}\n");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String shardName(int shard, int shards) {
        return shards == 1 ? Checkpoint.SINGLE_FILE : String.format("model-%05d-of-%05d.safetensors", shard + 1, shards);
    }

    /**
     * Values for one tensor. {@link #write} draws them spec by spec from {@code new Random(seed)}, so a test that
     * replays the specs in the same order with the same seed gets the values that were written.
     */
    public static float[] randomValues(long[] shape, Random random) {
        long numel = 1;
        for (long d : shape) numel *= d;
        float[] values = new float[(int) numel];
        for (int i = 0; i < values.length; i++) values[i] = (random.nextInt(129) - 64) / 64f;
        return values;
    }
}
