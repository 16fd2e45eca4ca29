package dev.longctx.engine.cli;

import dev.longctx.engine.generate.GenerationStats;
import dev.longctx.engine.generate.StopChecker;
import dev.longctx.engine.model.GenerationConfig;
import dev.longctx.engine.sampling.SamplingParams;
import dev.longctx.engine.tokenizer.ChatMessage;
import dev.longctx.engine.tokenizer.ChatTemplate;
import dev.longctx.engine.tokenizer.HfTokenizer;
import dev.longctx.engine.tokenizer.IncrementalDetokenizer;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code longctx generate}: streams a completion to stdout, timing to stderr. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate text from a prompt, streaming it to stdout; prompt/generation speed goes to stderr.")
final class GenerateCommand implements Callable<Integer> {

    @ParentCommand LongctxCli parent;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory (config.json, *.safetensors, tokenizer.json).")
    Path model;

    static final class Input {
        @Option(names = "--prompt", paramLabel = "TEXT", description = "Prompt text.") String prompt;
        @Option(names = "--ids", paramLabel = "1,2,3", description = "Prompt as comma-separated token ids.") String ids;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    @Option(names = "--chat", description = "Wrap the prompt as a user message with the model's chat template.")
    boolean chat;

    @Option(names = "--system", paramLabel = "TEXT", description = "System message for --chat.")
    String system;

    @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "256", description = "Most tokens to generate (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--temperature", paramLabel = "T", description = "0 = greedy (default: generation_config.json's, else 1).")
    Double temperature;

    @Option(names = "--top-k", paramLabel = "K", description = "Keep the K most likely tokens; 0 = off.")
    Integer topK;

    @Option(names = "--top-p", paramLabel = "P", description = "Nucleus sampling mass; 1 = off.")
    Double topP;

    @Option(names = "--min-p", paramLabel = "P", description = "Drop tokens below P × the top probability; 0 = off.")
    Double minP;

    @Option(names = "--repetition-penalty", paramLabel = "R", description = "1 = off.")
    Double repetitionPenalty;

    @Option(names = "--presence-penalty", paramLabel = "X", defaultValue = "0")
    double presencePenalty;

    @Option(names = "--frequency-penalty", paramLabel = "X", defaultValue = "0")
    double frequencyPenalty;

    @Option(names = "--seed", paramLabel = "S", description = "Seed for reproducible sampling.")
    Long seed;

    @Option(names = "--stop", paramLabel = "TEXT", description = "Stop string (repeatable); the output ends before it.")
    List<String> stop = new ArrayList<>();

    @Option(names = "--ignore-eos", description = "Keep generating past EOS.")
    boolean ignoreEos;

    @Option(names = "--print-ids", description = "Also print the generated token ids (stderr).")
    boolean printIds;

    @Mixin EngineFlags engine;

    @Override
    public Integer call() {
        LongctxCli.requireModelDir(model);
        if (maxTokens < 1) throw new CliException("--max-tokens must be at least 1, got " + maxTokens);
        if (chat && input.prompt == null) throw new CliException("--chat needs --prompt (it wraps text, not ids)");
        PrintWriter out = parent.spec.commandLine().getOut();
        PrintWriter err = parent.spec.commandLine().getErr();

        // With --ids and no tokenizer.json (e.g. a test fixture) the output is token ids rather than text.
        boolean idsOnly = input.ids != null && !Files.isRegularFile(model.resolve(HfTokenizer.FILE_NAME));
        try (HfTokenizer tokenizer = idsOnly ? null : HfTokenizer.load(model)) {
            int[] promptIds = promptIds(tokenizer);
            if (promptIds.length == 0) throw new CliException("the prompt is empty (0 tokens)");
            try (ModelBackend backend = parent.loader.load(model, engine.toOptions())) {
                TokenIds.checkVocabulary(promptIds, backend.config().vocabSize());
                SamplingParams params = samplingParams(backend.generationConfig());
                StopChecker stopper = new StopChecker(params, StopChecker.eosIds(backend.config(), backend.generationConfig()));
                IncrementalDetokenizer detokenizer = idsOnly ? null : new IncrementalDetokenizer(tokenizer, true, promptIds);
                List<Integer> generated = new ArrayList<>();

                GenerationStats stats = backend.generate(promptIds, params, token -> {
                    generated.add(token);
                    if (idsOnly) {
                        StopChecker.Step step = stopper.onToken(token, "");
                        out.print((generated.size() > 1 ? "," : "") + token);
                        out.flush();
                        return !step.finished();
                    }
                    StopChecker.Step step = stopper.onToken(token, detokenizer.add(token));
                    out.print(step.text());
                    out.flush();
                    return !step.finished();
                });

                String finish = stopper.finishReason();
                if (finish == null) { // the generator stopped by itself: release whatever is still held back
                    finish = stats.finishReason();
                    String rest = stopper.finish(finish == null ? StopChecker.LENGTH : finish).text();
                    out.print(idsOnly ? "" : rest + detokenizer.flush());
                }
                out.println();
                out.flush();
                if (printIds) err.println("generated ids: " + generated.stream().map(String::valueOf).collect(Collectors.joining(",")));
                err.println(timing(stats, finish));
                err.flush();
            }
        }
        return 0;
    }

    private int[] promptIds(HfTokenizer tokenizer) {
        if (input.ids != null) return TokenIds.parse(input.ids);
        String text = input.prompt;
        if (chat) {
            List<ChatMessage> messages = new ArrayList<>();
            if (system != null) messages.add(ChatMessage.system(system));
            messages.add(ChatMessage.user(text));
            text = ChatTemplate.load(model).render(messages, true);
        }
        return tokenizer.encode(text);
    }

    /** Flags win; otherwise the checkpoint's generation_config.json; otherwise vLLM's defaults. */
    SamplingParams samplingParams(GenerationConfig g) {
        GenerationConfig gen = g == null ? GenerationConfig.empty() : g;
        double t = firstNonNull(temperature, gen.temperature(), 1.0);
        return new SamplingParams(
                t,
                firstNonNull(topK, gen.topK(), 0),
                firstNonNull(topP, gen.topP(), 1.0),
                firstNonNull(minP, gen.minP(), 0.0),
                firstNonNull(repetitionPenalty, gen.repetitionPenalty(), 1.0),
                presencePenalty,
                frequencyPenalty,
                seed,
                maxTokens,
                stop,
                Set.of(),
                ignoreEos);
    }

    @SafeVarargs
    private static <T> T firstNonNull(T... values) {
        for (T v : values) if (v != null) return v;
        throw new IllegalStateException("no default");
    }

    static String timing(GenerationStats s, String finish) {
        return String.format(Locale.ROOT, "prompt: %d tokens in %.2f s (%.1f tok/s) | generation: %d tokens in %.2f s (%.1f tok/s) | finish: %s",
                s.promptTokens(), s.prefillSeconds(), rate(s.promptTokens(), s.prefillSeconds()),
                s.generatedTokens(), s.decodeSeconds(), rate(s.generatedTokens(), s.decodeSeconds()), finish);
    }

    private static double rate(int tokens, double seconds) {
        return seconds > 0 ? tokens / seconds : 0;
    }
}
