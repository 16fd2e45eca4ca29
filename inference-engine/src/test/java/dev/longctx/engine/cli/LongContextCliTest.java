package dev.longctx.engine.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.longctx.engine.io.Npy;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * The DCA fixture (chunk_size 64, local_size 16 → L = 48) driven through the real CLI with a 500-token prompt,
 * over 10 DCA chunks: DCA is on by default and, under the request temperature rule it was made with, matches the
 * independent DCA reference; --no-dca matches transformers' plain-RoPE logits.
 */
class LongContextCliTest {

    @TempDir
    Path tmp;

    record Run(int exitCode, String out, String err) {}

    static Run cli(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cmd = LongctxCli.commandLine(new LongctxCli());
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        int code = cmd.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    static Path fixture() throws URISyntaxException {
        return Path.of(LongContextCliTest.class.getResource("/fixtures/dca/config.json").toURI()).getParent();
    }

    static JsonNode reference(Path dir) throws Exception {
        return new ObjectMapper().readTree(Files.readString(dir.resolve("reference.json")));
    }

    static String ids(JsonNode array) {
        return java.util.stream.StreamSupport.stream(array.spliterator(), false).map(JsonNode::asString)
                .collect(Collectors.joining(","));
    }

    static float maxAbsDiff(Path a, Path b) throws Exception {
        float[][] x = Npy.read(a).toFloatMatrix(), y = Npy.read(b).toFloatMatrix();
        assertThat(x.length).isEqualTo(y.length);
        float m = 0;
        for (int t = 0; t < x.length; t++) for (int v = 0; v < x[t].length; v++) m = Math.max(m, Math.abs(x[t][v] - y[t][v]));
        return m;
    }

    @Test
    void scoreUsesDcaByDefaultAndPlainRopeWithNoDca() throws Exception {
        Path dir = fixture();
        String prompt = ids(reference(dir).get("prompt_ids"));
        assertThat(prompt.split(",").length).isGreaterThanOrEqualTo(8 * 48);

        Run dca = cli("score", "--model", dir.toString(), "--ids", prompt, "--logits-out", tmp.resolve("dca.npy").toString(),
                "--prefill-chunk", "100", "--dca-scale", "request");
        assertThat(dca.exitCode()).as(dca.err()).isZero();
        assertThat(maxAbsDiff(tmp.resolve("dca.npy"), dir.resolve("logits_dca.npy"))).isLessThanOrEqualTo(1e-3f);

        Run plain = cli("score", "--model", dir.toString(), "--ids", prompt, "--no-dca", "--logits-out", tmp.resolve("rope.npy").toString());
        assertThat(plain.exitCode()).as(plain.err()).isZero();
        assertThat(maxAbsDiff(tmp.resolve("rope.npy"), dir.resolve("logits.npy"))).isLessThanOrEqualTo(1e-3f);
        // And the two really differ: the fixture's prompt is long enough for DCA to matter.
        assertThat(maxAbsDiff(tmp.resolve("rope.npy"), tmp.resolve("dca.npy"))).isGreaterThan(0.1f);

        // Under the default position rule a row sees no temperature before P = 64, so the first DCA chunk (L = 48,
        // intra part only) is plain RoPE; the request rule scales every row by s_f(500)².
        Run position = cli("score", "--model", dir.toString(), "--ids", prompt, "--logits-out", tmp.resolve("pos.npy").toString(),
                "--device", "cpu");
        assertThat(position.exitCode()).as(position.err()).isZero();
        float[][] pos = Npy.read(tmp.resolve("pos.npy")).toFloatMatrix(), req = Npy.read(tmp.resolve("dca.npy")).toFloatMatrix();
        float[][] rope = Npy.read(tmp.resolve("rope.npy")).toFloatMatrix();
        assertThat(maxAbsDiff(Arrays.copyOf(pos, 48), Arrays.copyOf(rope, 48))).isLessThanOrEqualTo(1e-5f);
        assertThat(maxAbsDiff(Arrays.copyOf(req, 48), Arrays.copyOf(rope, 48))).isGreaterThan(1e-2f);
        assertThat(maxAbsDiff(Arrays.copyOfRange(pos, 400, 500), Arrays.copyOfRange(req, 400, 500))).isGreaterThan(1e-2f);
    }

    static float maxAbsDiff(float[][] x, float[][] y) {
        float m = 0;
        for (int t = 0; t < x.length; t++) for (int v = 0; v < x[t].length; v++) m = Math.max(m, Math.abs(x[t][v] - y[t][v]));
        return m;
    }

    @Test
    void deviceChoice() throws Exception {
        String model = fixture().toString();
        // No CUDA backend is built in yet: asking for it is one clear line, no stack trace.
        Run cuda = cli("score", "--model", model, "--ids", "1,2,3", "--device", "cuda");
        assertThat(cuda.exitCode()).isEqualTo(2);
        assertThat(cuda.err().strip()).startsWith("longctx score: CUDA backend unavailable: ").doesNotContain("\n")
                .doesNotContain("Exception");
        Run bad = cli("score", "--model", model, "--ids", "1,2,3", "--device", "gpu");
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.err()).contains("unknown device 'gpu': expected cpu, cuda or auto");
        Run badRule = cli("score", "--model", model, "--ids", "1,2,3", "--dca-scale", "prompt");
        assertThat(badRule.exitCode()).isEqualTo(2);
        assertThat(badRule.err()).contains("expected position or request");
        // auto (the flag's default) falls back to the CPU and computes.
        Run auto = cli("score", "--model", model, "--ids", "1,2,3", "--device", "auto");
        assertThat(auto.exitCode()).as(auto.err()).isZero();
        assertThat(auto.out()).contains("log-likelihood");
    }

    @Test
    void generateContinuesPastEightChunksWithDca() throws Exception {
        Path dir = fixture();
        JsonNode ref = reference(dir);
        Run run = cli("generate", "--model", dir.toString(), "--ids", ids(ref.get("prompt_ids")), "--max-tokens", "32",
                "--temperature", "0", "--ignore-eos", "--dca-scale", "request");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out().strip()).isEqualTo(ids(ref.get("dca").get("greedy_ids")));
        assertThat(run.err()).contains("generation: 32 tokens");

        Run plain = cli("generate", "--model", dir.toString(), "--ids", ids(ref.get("prompt_ids")), "--max-tokens", "32",
                "--temperature", "0", "--ignore-eos", "--no-dca");
        assertThat(plain.exitCode()).as(plain.err()).isZero();
        assertThat(plain.out().strip()).isEqualTo(ids(ref.get("greedy_ids")));
    }

    @Test
    void blockSizeThatDoesNotDivideTheChunkLengthIsAClearError() throws Exception {
        // --prefill-chunk is fine at any size, but the KV block size must divide L = 48; the default 16 does.
        Run run = cli("score", "--model", fixture().toString(), "--ids", "1,2,3", "--kv-block-size", "20");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("does not divide the DCA chunk length L").doesNotContain("Exception");
    }
}
