package dev.longctx.engine.cli;

import dev.longctx.engine.generate.Scoring;
import dev.longctx.engine.io.Npy;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code longctx score}: one forward pass over given ids; logits out, log-likelihood printed. */
@Command(name = "score", mixinStandardHelpOptions = true,
        description = "Run the model over token ids, print the total log-likelihood and optionally save logits [T, vocab] as float32 .npy.")
final class ScoreCommand implements Callable<Integer> {

    @ParentCommand LongctxCli parent;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory.")
    Path model;

    @Option(names = "--ids", required = true, paramLabel = "1,2,3", description = "Comma-separated token ids.")
    String ids;

    @Option(names = "--logits-out", paramLabel = "FILE.npy", description = "Write the logits of every position here.")
    Path logitsOut;

    @Option(names = "--recall", paramLabel = "FILE.json", description = "Write per-head sparse attention recall here (costs a dense pass).")
    Path recallOut;

    @Mixin EngineFlags engine;

    @Override
    public Integer call() throws IOException {
        LongctxCli.requireModelDir(model);
        int[] tokens = TokenIds.parse(ids);
        // Check the outputs before the (possibly long) forward pass, not after it.
        requireWritableParent(logitsOut, "--logits-out");
        requireWritableParent(recallOut, "--recall");
        PrintWriter out = parent.spec.commandLine().getOut();
        try (ModelBackend backend = parent.loader.load(model, engine.toOptions())) {
            int vocab = backend.config().vocabSize();
            TokenIds.checkVocabulary(tokens, vocab);
            RecallCollector recall = recallOut == null ? null : new RecallCollector();
            float[][] logits = backend.score(tokens, recall);
            if (logits.length != tokens.length) {
                throw new IllegalStateException("the model returned " + logits.length + " logit rows for " + tokens.length + " tokens");
            }
            if (logitsOut != null) Npy.writeFloat32(logitsOut, logits);
            if (recall != null) recall.write(recallOut);

            double ll = Scoring.logLikelihood(logits, tokens);
            int predicted = tokens.length - 1;
            out.printf(Locale.ROOT, "log-likelihood: %.6f%n", ll);
            if (predicted > 0) {
                out.printf(Locale.ROOT, "tokens scored: %d | mean: %.6f | perplexity: %.4f%n", predicted, ll / predicted, Math.exp(-ll / predicted));
            }
            if (logitsOut != null) out.printf("logits: %s [%d, %d] float32%n", logitsOut, tokens.length, vocab);
            if (recall != null) {
                out.printf("recall: %s%s%n", recallOut, recall.isEmpty() ? " (empty: sparse attention did not run; is the prompt over --sparse-threshold?)" : "");
            }
            out.flush();
        }
        return 0;
    }

    private static void requireWritableParent(Path file, String flag) {
        if (file == null) return;
        Path dir = file.toAbsolutePath().getParent();
        if (dir == null || !java.nio.file.Files.isDirectory(dir)) throw new CliException(flag + ": directory " + dir + " does not exist");
        if (!java.nio.file.Files.isWritable(dir)) throw new CliException(flag + ": directory " + dir + " is not writable");
    }
}
