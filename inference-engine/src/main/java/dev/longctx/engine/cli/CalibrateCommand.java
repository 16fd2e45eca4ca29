package dev.longctx.engine.cli;

import dev.longctx.engine.EngineOptions;
import dev.longctx.engine.attention.RecallAccumulator;
import dev.longctx.engine.attention.SparseAttentionConfig;
import dev.longctx.engine.attention.SparsityCalibrator;
import dev.longctx.engine.eval.PasskeyTask;
import dev.longctx.engine.generate.Generator;
import dev.longctx.engine.model.ModelConfig;
import dev.longctx.engine.model.ModelConfigLoader;
import dev.longctx.engine.model.Qwen2Model;
import dev.longctx.engine.tokenizer.ChatTemplate;
import dev.longctx.engine.tokenizer.HfTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code longctx calibrate}: sparsity refinement (report Alg. 1). Measures every head's attention recall on the
 * calibration prompts with the current budgets, grows the budgets of heads under the target, and repeats; writes
 * a sparse_attention_config.json whose 4th field is each head's measured recall.
 */
@Command(name = "calibrate", mixinStandardHelpOptions = true,
        description = "Calibrate per-head sparse budgets to a target attention recall.")
final class CalibrateCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory.")
    Path model;

    @Option(names = "--start", paramLabel = "FILE",
            description = "Starting sparse_attention_config.json (default: uniform --init-vertical/--init-slash).")
    Path start;

    @Option(names = "--init-vertical", description = "Uniform starting vertical budget (default: ${DEFAULT-VALUE}).")
    int initVertical = 30;

    @Option(names = "--init-slash", description = "Uniform starting slash budget (default: ${DEFAULT-VALUE}).")
    int initSlash = 100;

    @Option(names = "--prompts", split = ",", paramLabel = "FILE,...",
            description = "Calibration prompts: *.ids files (token ids separated by commas or white space) or text files.")
    List<Path> prompts = List.of();

    @Option(names = "--passkey-length", paramLabel = "N",
            description = "Also calibrate on synthetic passkey prompts of N tokens (chat template applied).")
    Integer passkeyLength;

    @Option(names = "--passkey-count", description = "How many passkey prompts (default: ${DEFAULT-VALUE}).")
    int passkeyCount = 2;

    @Option(names = "--target", description = "Target mean recall per head (default: ${DEFAULT-VALUE}).")
    double target = 0.95;

    @Option(names = "--max-rounds", description = "Most measurement rounds (default: ${DEFAULT-VALUE}).")
    int maxRounds = 30;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Where to write the calibrated config.")
    Path out;

    @Mixin
    EngineFlags engine = new EngineFlags();

    @Override
    public Integer call() throws IOException {
        if (!Files.isDirectory(model)) throw new CliException("model directory not found: " + model);
        ModelConfig config = ModelConfigLoader.load(model);
        List<int[]> calibration = loadPrompts();
        if (calibration.isEmpty()) throw new CliException("no calibration prompts: give --prompts and/or --passkey-length");
        int longest = calibration.stream().mapToInt(p -> p.length).max().orElseThrow();
        SparseAttentionConfig initial = start != null
                ? SparseAttentionConfig.load(start, config.numLayers(), config.numHeads())
                : SparseAttentionConfig.uniform(config.numLayers(), config.numHeads(), initVertical, initSlash);
        // Calibration measures sparse attention on every prompt, whatever its length.
        EngineOptions options = engine.toOptions().withSparse(true, 0, null);
        int[] measured = {0};
        SparsityCalibrator.RecallProbe probe = budgets -> {
            RecallAccumulator recall = new RecallAccumulator(config.numLayers(), config.numHeads());
            try (Qwen2Model m = Qwen2Model.load(model, options, budgets)) {
                Generator generator = new Generator(m);
                for (int i = 0; i < calibration.size(); i++) {
                    generator.prefillOnly(calibration.get(i), recall);
                    System.err.printf("  measured prompt %d/%d (%d tokens)%n", i + 1, calibration.size(), calibration.get(i).length);
                }
            }
            measured[0]++;
            lastDensity = recall.density();
            return recall.meanRecall();
        };
        SparsityCalibrator.Settings settings = new SparsityCalibrator.Settings(target, 1.5, 64, longest, maxRounds);
        SparsityCalibrator calibrator = new SparsityCalibrator(probe, settings, r -> System.err.printf(
                "round %d: %d/%d heads below %.3f (%d at cap), recall min %.4f mean %.4f%n",
                r.round(), r.failingHeads(), r.totalHeads(), target, r.cappedHeads(), r.minRecall(), r.meanRecall()));
        SparsityCalibrator.Result result = calibrator.calibrate(initial);
        result.config().write(out);
        printSummary(result.config(), config);
        System.out.printf("%s after %d round(s); wrote %s%n", result.passed() ? "every head reached the target"
                : "heads left below the target at the cap: " + result.capped(), result.rounds(), out);
        return 0;
    }

    private double[][] lastDensity;

    private void printSummary(SparseAttentionConfig budgets, ModelConfig config) {
        System.out.println("| layer | mean recall | min recall | mean vertical | mean slash | density |");
        System.out.println("|---|---|---|---|---|---|");
        double totalDensity = 0;
        for (int l = 0; l < config.numLayers(); l++) {
            double sum = 0, min = 1, v = 0, s = 0, d = 0;
            for (int h = 0; h < config.numHeads(); h++) {
                SparseAttentionConfig.HeadBudget b = budgets.budget(l, h);
                sum += b.score();
                min = Math.min(min, b.score());
                v += b.verticalSize();
                s += b.slashSize();
                d += lastDensity[l][h];
            }
            int n = config.numHeads();
            totalDensity += d / n;
            System.out.printf("| %d | %.4f | %.4f | %.0f | %.0f | %.3f |%n", l, sum / n, min, v / n, s / n, d / n);
        }
        System.out.printf("overall density (computed / causal pairs): %.3f%n", totalDensity / config.numLayers());
    }

    private List<int[]> loadPrompts() throws IOException {
        List<int[]> out = new ArrayList<>();
        HfTokenizer tokenizer = null;
        try {
            for (Path p : prompts) {
                if (!Files.isRegularFile(p)) throw new CliException("prompt file not found: " + p);
                if (p.getFileName().toString().endsWith(".ids")) {
                    out.add(TokenIds.parse(Files.readString(p).trim().replaceAll("\\s+", ",")));
                } else {
                    if (tokenizer == null) tokenizer = HfTokenizer.load(model);
                    out.add(tokenizer.encode(Files.readString(p)));
                }
            }
            if (passkeyLength != null) {
                if (tokenizer == null) tokenizer = HfTokenizer.load(model);
                PasskeyTask task = new PasskeyTask(tokenizer);
                ChatTemplate template = ChatTemplate.load(model);
                SplittableRandom rng = new SplittableRandom(7);
                for (int i = 0; i < passkeyCount; i++) {
                    PasskeyTask.Sample sample = task.sample(passkeyLength, (i + 0.5) / passkeyCount, rng);
                    out.add(task.chatPromptIds(template, sample));
                }
            }
        } finally {
            if (tokenizer != null) tokenizer.close();
        }
        return out;
    }
}
