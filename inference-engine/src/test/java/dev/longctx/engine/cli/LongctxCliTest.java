package dev.longctx.engine.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.longctx.engine.EngineOptions;
import dev.longctx.engine.attention.RecallRecorder;
import dev.longctx.engine.generate.GenerationStats;
import dev.longctx.engine.generate.Scoring;
import dev.longctx.engine.io.Npy;
import dev.longctx.engine.model.GenerationConfig;
import dev.longctx.engine.model.ModelConfig;
import dev.longctx.engine.sampling.SamplingParams;
import dev.longctx.engine.tokenizer.HfTokenizer;
import dev.longctx.engine.tokenizer.TinyBpeTokenizer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The CLI end to end with the real tokenizer and chat template and a scripted model: the model API is the
 * lead's (not merged here), so a small backend that emits chosen tokens stands in for it.
 */
class LongctxCliTest {

    static final int VOCAB = 274;
    static final int EOS = TinyBpeTokenizer.IM_END;
    static HfTokenizer tok;

    @TempDir Path modelDir;

    /** Scripted model: emits {@link #script} token by token, scores with logits at position t that favour id 3(t+1) next. */
    final class FakeBackend implements ModelBackend {
        @Override public ModelConfig config() { return config; }
        @Override public GenerationConfig generationConfig() { return generationConfig; }

        @Override
        public float[][] score(int[] ids, RecallRecorder recorder) {
            float[][] logits = new float[ids.length][VOCAB];
            for (int t = 0; t < ids.length; t++) {
                for (int v = 0; v < VOCAB; v++) logits[t][v] = (float) Math.sin(t * 31 + v);
                logits[t][(3 * (t + 1)) % VOCAB] += 5;
            }
            if (recorder != null) {
                recorder.record(0, 1, 1.8, 2, 30, 60);
                recorder.record(0, 1, 0.9, 1, 10, 20);
            }
            return logits;
        }

        @Override
        public GenerationStats generate(int[] promptIds, SamplingParams params, IntPredicate onToken) {
            seenPrompt = promptIds;
            seenParams = params;
            int n = 0;
            String finish = "length";
            for (int id : script) {
                n++;
                if (!onToken.test(id)) { finish = "stop"; break; }
                if (id == EOS) { finish = "stop"; break; }
                if (n == params.maxTokens()) break;
            }
            return new GenerationStats(promptIds.length, n, 0.5, 2.0, finish);
        }

        @Override public void close() { closed = true; }
    }

    ModelConfig config = new ModelConfig("Qwen2ForCausalLM", VOCAB, 64, 128, 2, 4, 2, 16, 1e-6, 1e6, 4096, true,
            "bfloat16", null, List.of(TinyBpeTokenizer.ENDOFTEXT), null);
    GenerationConfig generationConfig = new GenerationConfig(List.of(EOS), null, null, true, 0.7, 0.8, 20, null, 1.05, null);
    int[] script;
    int[] seenPrompt;
    SamplingParams seenParams;
    EngineOptions seenOptions;
    boolean closed;
    RuntimeException loadFailure;

    String out;
    String err;

    @BeforeAll
    static void loadTokenizer() {
        tok = HfTokenizer.load(TinyBpeTokenizer.writeTo(Path.of(System.getProperty("java.io.tmpdir"), "longctx-cli-test-tok")));
    }

    @AfterAll
    static void closeTokenizer() {
        tok.close();
    }

    @BeforeEach
    void modelDir() throws Exception {
        TinyBpeTokenizer.writeTo(modelDir);
        Files.copy(Path.of(getClass().getResource("/tokenizer/tokenizer_config.json").toURI()), modelDir.resolve("tokenizer_config.json"));
        Files.writeString(modelDir.resolve("config.json"), "{}"); // the scripted backend never reads it
    }

    int run(String... args) {
        LongctxCli cli = new LongctxCli((dir, options) -> {
            seenOptions = options;
            if (loadFailure != null) throw loadFailure;
            return new FakeBackend();
        });
        CommandLine cmd = LongctxCli.commandLine(cli);
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        cmd.setOut(new PrintWriter(o, true));
        cmd.setErr(new PrintWriter(e, true));
        int code = cmd.execute(args);
        out = o.toString();
        err = e.toString();
        return code;
    }

    private int[] script(String text, int... tail) {
        int[] ids = tok.encode(text);
        int[] all = Arrays.copyOf(ids, ids.length + tail.length);
        System.arraycopy(tail, 0, all, ids.length, tail.length);
        return all;
    }

    @Test
    void generateStreamsUntilEosAndReportsSpeedOnStderr() {
        script = script("hello world 中文😀", EOS, 'x');
        int code = run("generate", "--model", modelDir.toString(), "--prompt", "Hi the world", "--temperature", "0");
        assertThat(code).as(err).isZero();
        assertThat(out).isEqualTo("hello world 中文😀\n");
        assertThat(seenPrompt).containsExactly(tok.encode("Hi the world"));
        assertThat(seenParams.temperature()).isZero();
        assertThat(err).contains("prompt: 3 tokens in 0.50 s (6.0 tok/s)").contains("generation:").contains("finish: stop");
        assertThat(closed).isTrue();
    }

    @Test
    void generateCutsAtAStopStringSpanningTokens() {
        script = script("hello world and more");
        int code = run("generate", "--model", modelDir.toString(), "--prompt", "x", "--stop", "ld an", "--max-tokens", "100");
        assertThat(code).as(err).isZero();
        assertThat(out).isEqualTo("hello wor\n");
        assertThat(err).contains("finish: stop");
    }

    @Test
    void generateEndsWithLengthAtMaxTokens() {
        script = script("hello world hello world");
        assertThat(run("generate", "--model", modelDir.toString(), "--ids", "261,266", "--max-tokens", "2")).isZero();
        assertThat(out).isEqualTo("hello world\n");
        assertThat(seenPrompt).containsExactly(261, 266);
        assertThat(err).contains("finish: length");
    }

    @Test
    void chatWrapsThePromptWithTheModelsTemplate() {
        script = new int[] {EOS};
        assertThat(run("generate", "--model", modelDir.toString(), "--prompt", "Hi", "--chat", "--system", "Be brief.")).isZero();
        assertThat(tok.decode(seenPrompt, false))
                .isEqualTo("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
        assertThat(out).isEqualTo("\n");
    }

    @Test
    void samplingDefaultsComeFromGenerationConfigAndFlagsWin() {
        script = new int[] {EOS};
        assertThat(run("generate", "--model", modelDir.toString(), "--prompt", "Hi")).isZero();
        assertThat(seenParams.temperature()).isEqualTo(0.7);
        assertThat(seenParams.topP()).isEqualTo(0.8);
        assertThat(seenParams.topK()).isEqualTo(20);
        assertThat(seenParams.repetitionPenalty()).isEqualTo(1.05);
        assertThat(seenParams.seed()).isNull();

        assertThat(run("generate", "--model", modelDir.toString(), "--prompt", "Hi", "--temperature", "1.3", "--top-k", "0",
                "--top-p", "1", "--min-p", "0.1", "--repetition-penalty", "1", "--seed", "42", "--max-tokens", "9")).isZero();
        assertThat(seenParams).isEqualTo(new SamplingParams(1.3, 0, 1.0, 0.1, 1.0, 0, 0, 42L, 9, List.of(), java.util.Set.of(), false));
    }

    @Test
    void engineFlagsBecomeEngineOptions() throws IOException {
        script = new int[] {EOS};
        Path sparse = Files.writeString(modelDir.resolve("sparse.json"), "{}");
        assertThat(run("generate", "--model", modelDir.toString(), "--prompt", "Hi", "--no-dca", "--no-sparse",
                "--sparse-threshold", "1000", "--sparse-config", sparse.toString(), "--prefill-chunk", "512", "--threads", "3")).isZero();
        assertThat(seenOptions).isEqualTo(EngineOptions.defaults().withDca(false).withSparse(false, 1000, sparse)
                .withMaxPrefillChunk(512).withThreads(3).withDevice(dev.longctx.engine.backend.Device.AUTO));
        assertThat(run("generate", "--model", modelDir.toString(), "--prompt", "Hi", "--device", "cpu", "--dca-scale", "request",
                "--dtype", "float32", "--enforce-eager")).isZero();
        assertThat(seenOptions).isEqualTo(EngineOptions.defaults().withDevice(dev.longctx.engine.backend.Device.CPU)
                .withDcaScale(dev.longctx.engine.attention.DcaScaleRule.REQUEST)
                .withDtype(dev.longctx.engine.backend.ComputeDtype.FLOAT32).withEnforceEager(true));
        assertThat(run("generate", "--model", modelDir.toString(), "--prompt", "Hi", "--dtype", "fp8")).isNotZero();
        assertThat(err).contains("unknown dtype 'fp8': expected auto, bfloat16 or float32");

        // Unset flags: the engine defaults, on the device auto picks.
        assertThat(run("generate", "--model", modelDir.toString(), "--prompt", "Hi")).isZero();
        assertThat(seenOptions).isEqualTo(EngineOptions.defaults().withDevice(dev.longctx.engine.backend.Device.AUTO));
    }

    @Test
    void scoreWritesLogitsAndPrintsTheLogLikelihood() throws IOException {
        Path npy = modelDir.resolve("logits.npy");
        Path recall = modelDir.resolve("recall.json");
        int code = run("score", "--model", modelDir.toString(), "--ids", "5, 3,6,9", "--logits-out", npy.toString(),
                "--recall", recall.toString());
        assertThat(code).as(err).isZero();

        float[][] expected = new FakeBackend().score(new int[] {5, 3, 6, 9}, null);
        Npy.Array a = Npy.read(npy);
        assertThat(a.shape()).containsExactly(4, VOCAB);
        assertThat(a.toFloatMatrix()).isDeepEqualTo(expected);

        double ll = Scoring.logLikelihood(expected, new int[] {5, 3, 6, 9});
        // 3, 6, 9 are what positions 0, 1, 2 favour: each scores about log(0.3); shifted ids score far worse
        assertThat(ll).isGreaterThan(-3 * 2.0).isLessThan(0);
        assertThat(Scoring.logLikelihood(expected, new int[] {5, 4, 7, 10})).isLessThan(ll - 10);
        String printed = out.lines().filter(l -> l.startsWith("log-likelihood: ")).findFirst().orElseThrow();
        assertThat(Double.parseDouble(printed.substring("log-likelihood: ".length()))).isCloseTo(ll, within(1e-5));
        assertThat(out).contains("tokens scored: 3");

        String json = Files.readString(recall);
        assertThat(json).contains("\"mean_recall\" : 0.9").contains("\"density\" : 0.5").contains("\"layer\" : 0").contains("\"head\" : 1");
    }

    @Test
    void logLikelihoodIsTheSumOfNextTokenLogSoftmax() {
        float[][] logits = {{0, 0, 0, 0}, {1, 2, 3, 4}, {9, 9, 9, 9}};
        double expected = Math.log(0.25) + (2 - Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3) + Math.exp(4)));
        assertThat(Scoring.logLikelihood(logits, new int[] {3, 0, 1})).isCloseTo(expected, within(1e-12));
    }

    @Test
    void infoReportsWeightsKvAndTheContextThatFits() throws IOException {
        // one BF16 tensor of 1000 x 500 and one F32 of 10: header only matters, data is zeros
        writeSafetensors(modelDir.resolve("model.safetensors"),
                "{\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":\"BF16\",\"shape\":[1000,500],\"data_offsets\":[0,1000000]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[10],\"data_offsets\":[1000000,1000040]}}", 1_000_040);
        int code = run("info", "--model", modelDir.toString(), "--memory", "2MB");
        assertThat(code).as(err).isZero();
        // KV: 2 layers x 2 KV heads x 16 dims x (K+V) x 4 bytes = 512 bytes/token; (2e6 - 1000040) / 512 = 1953.04
        assertThat(out).contains("KV per token:     512 bytes");
        assertThat(out).contains("BF16 0.5M").contains("F32 0.0M");
        assertThat(out).contains("-> 1,953 tokens of KV cache");
        assertThat(out).contains("1,000,040 bytes");

        assertThat(run("info", "--model", modelDir.toString(), "--memory", "1MB")).isZero();
        assertThat(out).contains("do not fit");
    }

    /** A hostile or broken checkpoint: one line naming the file and the tensor, no NPE, no hang, no negative size. */
    @Test
    void infoOnABrokenCheckpointSaysWhichFileAndTensor() throws Exception {
        Path weights = modelDir.resolve("model.safetensors");
        writeSafetensors(weights, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8);
        assertThat(run("info", "--model", modelDir.toString())).isEqualTo(2);
        assertThat(err.strip()).isEqualTo("longctx info: " + weights + ": tensor 'a': required field 'data_offsets' is missing");

        ByteBuffer huge = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(0x8000_0000_0000_0010L).putLong(0);
        Files.write(weights, huge.array());
        assertThat(run("info", "--model", modelDir.toString())).isEqualTo(2);
        assertThat(err).contains(weights.toString()).contains("header length 9223372036854775824 bytes").doesNotContain("length -");

        Files.delete(weights);
        Process mkfifo = new ProcessBuilder("mkfifo", weights.toString()).start();
        org.junit.jupiter.api.Assumptions.assumeTrue(mkfifo.waitFor() == 0, "mkfifo is not available here");
        CompletableFuture<Integer> code = CompletableFuture.supplyAsync(() -> run("info", "--model", modelDir.toString()));
        assertThat(code.get(20, TimeUnit.SECONDS)).as("no hang on a FIFO").isEqualTo(2);
        assertThat(err.strip()).isEqualTo("longctx info: " + weights
                + ": not a regular file (a safetensors file must be one; found a FIFO, socket or device)");
    }

    private static void writeSafetensors(Path f, String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Files.write(f, b.array());
    }

    @Test
    void errorsAreOneLineOnStderrWithExitCode2() throws IOException {
        List<String[]> cases = new ArrayList<>();
        cases.add(new String[] {"generate", "--model", modelDir.resolve("nope").toString(), "--prompt", "x"});
        cases.add(new String[] {"generate", "--model", modelDir.toString(), "--prompt", "x", "--ids", "1"});
        cases.add(new String[] {"generate", "--model", modelDir.toString()});
        cases.add(new String[] {"score", "--model", modelDir.toString(), "--ids", "1,x,3"});
        cases.add(new String[] {"score", "--model", modelDir.toString(), "--ids", "1,274"});
        cases.add(new String[] {"generate", "--model", modelDir.toString(), "--prompt", "x", "--top-p", "0"});
        cases.add(new String[] {"info", "--model", modelDir.toString(), "--memory", "lots"});
        cases.add(new String[] {"generate", "--model", modelDir.toString(), "--prompt", "x", "--max-tokens", "zero"});
        cases.add(new String[] {"bogus"});
        cases.add(new String[] {"generate", "--model", modelDir.toString(), "--prompt", "x", "--prefill-chunk", "0"});
        cases.add(new String[] {"generate", "--model", modelDir.toString(), "--prompt", "x", "--sparse-config", "missing.json"});
        cases.add(new String[] {"score", "--model", modelDir.toString(), "--ids", "1,2", "--logits-out", modelDir.resolve("no/such/dir/x.npy").toString()});
        for (String[] args : cases) {
            script = new int[] {EOS};
            assertThat(run(args)).as(String.join(" ", args)).isEqualTo(2);
            assertThat(err.lines().count()).as(err).isEqualTo(1);
            assertThat(err).doesNotContain("\tat ").startsWith("longctx");
        }
        run("score", "--model", modelDir.toString(), "--ids", "1,x,3");
        assertThat(err).contains("bad --ids: 'x'");
        run("score", "--model", modelDir.toString(), "--ids", "1,274");
        assertThat(err).contains("outside the model's vocabulary");
        run("generate", "--model", modelDir.resolve("nope").toString(), "--prompt", "x");
        assertThat(err).contains("model directory not found");

        Files.delete(modelDir.resolve("tokenizer.json"));
        assertThat(run("generate", "--model", modelDir.toString(), "--prompt", "x")).isEqualTo(2);
        assertThat(err).contains("tokenizer.json");
    }

    @Test
    void aCheckpointTheLoaderRejectsIsOneLineToo() {
        loadFailure = new IllegalStateException("model.safetensors: tensor model.norm.weight missing");
        assertThat(run("score", "--model", modelDir.toString(), "--ids", "1,2")).isEqualTo(2);
        assertThat(err.strip()).isEqualTo("longctx score: model.safetensors: tensor model.norm.weight missing (IllegalStateException; set LONGCTX_DEBUG=1 for a stack trace)");
    }

    @Test
    void helpListsTheSubcommands() {
        assertThat(run("--help")).isZero();
        assertThat(out).contains("generate").contains("score").contains("info");
        assertThat(run("generate", "--help")).isZero();
        assertThat(out).contains("--no-dca").contains("--sparse-threshold").contains("--chat").contains("--seed");
    }
}
