package dev.longctx.engine.cli;

import dev.longctx.engine.EngineOptions;
import dev.longctx.engine.eval.AttentionMode;
import dev.longctx.engine.eval.EvalResult;
import dev.longctx.engine.eval.Heatmap;
import dev.longctx.engine.eval.PasskeyEval;
import dev.longctx.engine.model.DcaConfig;
import dev.longctx.engine.model.ModelConfigLoader;
import dev.longctx.engine.tokenizer.ChatTemplate;
import dev.longctx.engine.tokenizer.HfTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.SerializationFeature;

/** {@code longctx eval}: passkey retrieval accuracy over context lengths, needle depths and attention modes. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Passkey / needle-in-a-haystack accuracy over context lengths and depths, per attention mode.")
final class EvalCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory.")
    Path model;

    @Option(names = "--lengths", split = ",", paramLabel = "N,N,...", required = true,
            description = "Context lengths in tokens, e.g. 512,1024,4096.")
    List<Integer> lengths;

    @Option(names = "--depths", split = ",", paramLabel = "D,D,...",
            description = "Needle depths in [0,1] (default: ${DEFAULT-VALUE}).")
    List<Double> depths = List.of(0.0, 0.25, 0.5, 0.75, 1.0);

    @Option(names = "--modes", split = ",", paramLabel = "MODE,...",
            description = "Attention modes: rope, dca, dca+sparse (default: ${DEFAULT-VALUE}).")
    List<String> modes = List.of("rope", "dca", "dca+sparse");

    @Option(names = "--samples", description = "Prompts per (length, depth) cell (default: ${DEFAULT-VALUE}).")
    int samples = 4;

    @Option(names = "--seed", description = "Seed for the passkeys (default: ${DEFAULT-VALUE}).")
    long seed = 1234;

    @Option(names = "--training-length", paramLabel = "N",
            description = "The model's training length, for the ×-column (default: DCA's original_max_position_embeddings).")
    Integer trainingLength;

    @Option(names = "--json", paramLabel = "FILE", description = "Write the results as JSON.")
    Path json;

    @Option(names = "--heatmap", paramLabel = "PREFIX", description = "Write PREFIX-<mode>.png heatmaps.")
    Path heatmap;

    @Mixin
    EngineFlags engine = new EngineFlags();

    @Override
    public Integer call() throws Exception {
        if (!Files.isDirectory(model)) throw new CliException("model directory not found: " + model);
        if (samples < 1) throw new CliException("--samples must be at least 1");
        for (double d : depths) if (d < 0 || d > 1) throw new CliException("--depths must lie in [0, 1], got " + d);
        List<AttentionMode> parsed;
        try {
            parsed = modes.stream().map(AttentionMode::parse).toList();
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
        EngineOptions options = engine.toOptions();
        DcaConfig dca = ModelConfigLoader.load(model).dca();
        int training = trainingLength != null ? trainingLength : dca != null ? dca.originalMaxPositionEmbeddings() : 0;
        try (HfTokenizer tokenizer = HfTokenizer.load(model)) {
            PasskeyEval eval = new PasskeyEval(tokenizer, ChatTemplate.load(model), line -> System.err.println(line));
            EvalResult result = eval.run(new PasskeyEval.Plan(model, parsed, lengths, depths, samples, seed, options,
                    options.sparseThreshold(), options.sparseConfig(), training));
            System.out.print(result.table());
            if (json != null) {
                new ObjectMapper().writer(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), result);
                System.err.println("results: " + json);
            }
            if (heatmap != null) {
                for (Path p : Heatmap.write(result, heatmap)) System.err.println("heatmap: " + p);
            }
        }
        return 0;
    }
}
