package dev.longctx.engine.cli;

import dev.longctx.engine.EngineOptions;
import dev.longctx.engine.eval.PasskeyTask;
import dev.longctx.engine.eval.SlashStats;
import dev.longctx.engine.generate.Generator;
import dev.longctx.engine.model.Qwen2Model;
import dev.longctx.engine.tokenizer.ChatTemplate;
import dev.longctx.engine.tokenizer.HfTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code longctx slashes}: where the slashes kept by sparse estimation fall, against the synthetic `mixed` set. */
@Command(name = "slashes", mixinStandardHelpOptions = true,
        description = "Distribution of the slash distances sparse estimation selects on passkey prompts, vs the `mixed` stand-in.")
final class SlashesCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory.")
    Path model;

    @Option(names = "--length", required = true, paramLabel = "N", description = "Prompt length in tokens.")
    int length;

    @Option(names = "--samples", description = "Prompts (needle depths spread over [0, 1]) (default: ${DEFAULT-VALUE}).")
    int samples = 2;

    @Mixin
    EngineFlags engine = new EngineFlags();

    @Override
    public Integer call() {
        if (!Files.isDirectory(model)) throw new CliException("model directory not found: " + model);
        // Every prompt goes sparse, whatever its length: this measures the estimation itself.
        EngineOptions options = engine.toOptions();
        options = options.withSparse(true, 0, options.sparseConfig());
        SlashStats stats = new SlashStats();
        try (HfTokenizer tokenizer = HfTokenizer.load(model); Qwen2Model m = Qwen2Model.load(model, options)) {
            PasskeyTask task = new PasskeyTask(tokenizer);
            ChatTemplate template = ChatTemplate.load(model);
            Generator generator = new Generator(m);
            SplittableRandom rng = new SplittableRandom(5);
            for (int i = 0; i < samples; i++) {
                int[] ids = task.chatPromptIds(template, task.sample(length, (i + 0.5) / samples, rng));
                generator.prefillOnly(ids, stats);
                System.err.printf("prompt %d/%d: %d tokens%n", i + 1, samples, ids.length);
            }
        }
        System.out.print(stats.report());
        return 0;
    }
}
