package dev.longctx.engine.weights;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.longctx.engine.model.ModelConfig;
import dev.longctx.engine.model.Qwen2TensorNames;
import dev.longctx.engine.model.Qwen2TensorNames.TensorSpec;

/**
 * Checks, before any weight is used, that a checkpoint holds every tensor a {@code Qwen2ForCausalLM} with the
 * given config needs, each with the right shape and a dtype the engine computes in. All problems are gathered
 * into one exception: a config that does not match its weights usually breaks many tensors at once, and the
 * first few together tell the user which field is wrong.
 */
public final class CheckpointValidator {

    /** Beyond this many, the rest are counted rather than listed; a wrong model can break hundreds. */
    static final int MAX_LISTED_PROBLEMS = 12;

    private static final Pattern LAYER_INDEX = Pattern.compile("^model\\.layers\\.(\\d+)\\.");

    private CheckpointValidator() {}

    public static void validate(ModelConfig config, WeightSource checkpoint) {
        List<String> problems = new ArrayList<>();
        for (TensorSpec spec : Qwen2TensorNames.expected(config)) {
            if (!checkpoint.has(spec.name())) {
                problems.add("missing tensor '" + spec.name() + "' (expected shape " + Arrays.toString(spec.shape()) + ")");
                continue;
            }
            checkEntry(checkpoint.entry(spec.name()), spec.shape(), problems);
        }
        // Tied models may still ship an lm_head copy; it is unused, but a wrong shape means a wrong config.
        if (config.tieWordEmbeddings() && checkpoint.has(Qwen2TensorNames.LM_HEAD)) {
            checkEntry(checkpoint.entry(Qwen2TensorNames.LM_HEAD), new long[] {config.vocabSize(), config.hiddenSize()}, problems);
        }
        // Layers past num_hidden_layers mean config.json describes a smaller model than the weights hold.
        for (String name : checkpoint.names()) {
            Matcher m = LAYER_INDEX.matcher(name);
            if (m.find() && Long.parseLong(m.group(1)) >= config.numLayers()) {
                problems.add("tensor '" + name + "' belongs to a layer beyond num_hidden_layers=" + config.numLayers());
                break; // one is enough to make the point
            }
        }
        if (!problems.isEmpty()) throw new CheckpointException(summary(checkpoint, problems));
    }

    private static void checkEntry(SafetensorsFile.Entry entry, long[] expected, List<String> problems) {
        if (!Arrays.equals(entry.shape(), expected)) {
            problems.add("tensor '" + entry.name() + "' has shape " + Arrays.toString(entry.shape())
                    + " but the config expects " + Arrays.toString(expected));
        } else if (entry.engineDType() == null) {
            problems.add("tensor '" + entry.name() + "' has dtype " + entry.dtype() + ", which the engine does not support (supported: "
                    + Arrays.toString(DType.values()) + ")");
        }
    }

    private static String summary(WeightSource checkpoint, List<String> problems) {
        StringBuilder message = new StringBuilder(checkpoint.description())
                .append(" does not match its config.json (").append(problems.size())
                .append(problems.size() == 1 ? " problem): " : " problems): ");
        int listed = Math.min(problems.size(), MAX_LISTED_PROBLEMS);
        message.append(String.join("; ", problems.subList(0, listed)));
        if (problems.size() > listed) message.append("; ... and ").append(problems.size() - listed).append(" more");
        return message.toString();
    }
}
