package dev.longctx.engine.eval;

import dev.longctx.engine.EngineOptions;
import dev.longctx.engine.generate.Generator;
import dev.longctx.engine.model.Qwen2Model;
import dev.longctx.engine.sampling.SamplingParams;
import dev.longctx.engine.tokenizer.ChatTemplate;
import dev.longctx.engine.tokenizer.IncrementalDetokenizer;
import dev.longctx.engine.tokenizer.TextTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Needle-in-a-haystack evaluation: for each attention mode, context length and needle depth, asks for the
 * passkey and counts exact retrievals. Greedy decoding and a fixed seed make every run reproducible.
 */
public final class PasskeyEval {

    /** What to evaluate. {@code sparseThreshold} is usually lowered so a small model's prompts go sparse. */
    public record Plan(Path modelDir, List<AttentionMode> modes, List<Integer> lengths, List<Double> depths,
                       int samples, long seed, EngineOptions options, int sparseThreshold, Path sparseConfig,
                       int trainingLength) {}

    private final TextTokenizer tokenizer;
    private final ChatTemplate template;
    private final Consumer<String> progress;

    public PasskeyEval(TextTokenizer tokenizer, ChatTemplate template, Consumer<String> progress) {
        this.tokenizer = tokenizer;
        this.template = template;
        this.progress = progress;
    }

    public EvalResult run(Plan plan) {
        List<EvalResult.Cell> cells = new ArrayList<>();
        PasskeyTask task = new PasskeyTask(tokenizer);
        int total = plan.modes().size() * plan.lengths().size() * plan.depths().size() * plan.samples();
        int done = 0;
        for (AttentionMode mode : plan.modes()) {
            EngineOptions options = mode.apply(plan.options(), plan.sparseThreshold(), plan.sparseConfig());
            try (Qwen2Model model = Qwen2Model.load(plan.modelDir(), options)) {
                Generator generator = new Generator(model);
                for (int length : plan.lengths()) {
                    for (double depth : plan.depths()) {
                        // The same seed per cell in every mode: each mode sees the very same prompts.
                        SplittableRandom rng = new SplittableRandom(plan.seed() ^ (length * 31L) ^ Double.hashCode(depth));
                        int correct = 0;
                        for (int s = 0; s < plan.samples(); s++) {
                            PasskeyTask.Sample sample = task.sample(length, depth, rng);
                            String answer = ask(generator, task.chatPromptIds(template, sample));
                            if (answer.contains(sample.passkey())) correct++;
                            done++;
                            progress.accept(String.format("[%d/%d] %s len=%d depth=%.2f sample=%d correct=%s answer=%s",
                                    done, total, mode.label, length, depth, s, answer.contains(sample.passkey()),
                                    answer.strip().replace('\n', ' ')));
                        }
                        cells.add(new EvalResult.Cell(mode.label, length, depth, plan.samples(), correct));
                    }
                }
            }
        }
        return new EvalResult(plan.modelDir().getFileName().toString(), plan.trainingLength(), cells);
    }

    /** Greedy answer to one chat prompt, at most 16 tokens. */
    String ask(Generator generator, int[] ids) {
        IncrementalDetokenizer detok = new IncrementalDetokenizer(tokenizer, true);
        StringBuilder out = new StringBuilder();
        generator.generate(ids, SamplingParams.greedy(16), token -> {
            out.append(detok.add(token));
            return true;
        });
        return out.toString();
    }
}
