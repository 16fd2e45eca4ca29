package dev.longctx.engine.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.longctx.engine.bench.Geometry;
import dev.longctx.engine.bench.Work;
import dev.longctx.engine.model.ModelConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** {@code longctx bench prefill|decode} on the tiny geometry on the CPU: what they print and write, and bad flags. */
class BenchCommandTest {

    @TempDir Path dir;
    String out;
    String err;

    int run(String... args) {
        CommandLine cmd = LongctxCli.commandLine(new LongctxCli());
        StringWriter o = new StringWriter(), e = new StringWriter();
        cmd.setOut(new PrintWriter(o, true));
        cmd.setErr(new PrintWriter(e, true));
        int code = cmd.execute(args);
        out = o.toString();
        err = e.toString();
        return code;
    }

    @Test
    void prefillSplitsTheTtftCountsFlopsAndWritesJson() {
        Path json = dir.resolve("prefill.json");
        // 100 tokens in pieces of 64 (two pieces); DCA's L = 48, so the second piece crosses two chunk boundaries.
        int code = run("bench", "prefill", "--geometry", "tiny", "--device", "cpu", "--threads", "2", "--lengths", "100",
                "--piece", "64", "--runs", "2", "--warmup", "1", "--json", json.toString());
        assertThat(code).as(err).isZero();
        assertThat(err).contains("dense 100 run 1 of 2: piece 2 of 2").contains("dca 100: TTFT");
        assertThat(out).contains("prefill: tiny on cpu, random bf16 weights").contains("GEMM alone dca   down")
                .contains("the best GEMM alone measured in this run");

        JsonNode r = JsonMapper.builder().build().readTree(json.toFile());
        assertThat(r.get("command").asString()).isEqualTo("prefill");
        assertThat(r.get("geometry").asString()).isEqualTo("tiny");
        assertThat(r.get("device").asString()).isEqualTo("cpu");
        assertThat(r.get("piece").asInt()).isEqualTo(64);
        assertThat(r.get("kv_block_size").asInt()).isEqualTo(16);
        List<String> modes = new ArrayList<>();
        ModelConfig c = Geometry.TINY.config();
        for (JsonNode x : r.get("results")) {
            modes.add(x.get("mode").asString());
            assertThat(x.get("length").asInt()).isEqualTo(100);
            assertThat(x.get("pieces").asInt()).isEqualTo(2);
            assertThat(x.get("ttft_runs_seconds")).hasSize(2);
            double ttft = x.get("ttft_seconds").asDouble();
            double attention = x.get("attention_seconds").asDouble(), gemm = x.get("gemm_seconds").asDouble(), other = x.get("other_seconds").asDouble();
            assertThat(attention).isPositive().isLessThan(ttft);
            assertThat(gemm).isPositive().isLessThan(ttft);
            assertThat(other).isGreaterThanOrEqualTo(0);
            assertThat(attention + gemm + other).isCloseTo(ttft, within(1e-9));
            assertThat(x.get("attention_flop").asDouble()).isEqualTo(Work.attentionFlops(c, 0, 100));
            assertThat(x.get("gemm_flop").asDouble()).isEqualTo(Work.gemmFlops(c, 100, 1));
            assertThat(x.get("tflops").asDouble()).isCloseTo((Work.attentionFlops(c, 0, 100) + Work.gemmFlops(c, 100, 1)) / ttft / 1e12, within(1e-12));
            assertThat(x.get("fraction_of_peak").asDouble()).isCloseTo(x.get("tflops").asDouble() / r.get("peak_tflops").asDouble(), within(1e-9));
            assertThat(x.get("gemm_alone_seconds").asDouble()).isPositive();
            assertThat(x.get("gemm_vs_alone").asDouble()).isCloseTo(x.get("gemm_alone_seconds").asDouble() / gemm, within(1e-9));
            assertThat(x.get("peak_memory_bytes").isNull()).isTrue();  // the CPU backend does not report device memory
        }
        assertThat(modes).containsExactly("dense", "dca");
        // The four layer GEMMs at 64 and 36 rows and the lm_head at one, per mode.
        List<String> alone = new ArrayList<>();
        for (JsonNode g : r.get("gemms_alone")) {
            alone.add(g.get("mode").asString() + " " + g.get("name").asString() + " " + g.get("rows").asInt());
            assertThat(g.get("tflops").asDouble()).isCloseTo(2.0 * g.get("rows").asInt() * g.get("in").asLong()
                    * g.get("out").asLong() / g.get("seconds").asDouble() / 1e12, within(1e-12));
        }
        assertThat(alone).hasSize(18).contains("dense qkv 36", "dense down 64", "dca gate_up 64", "dca lm_head 1");
    }

    @Test
    void decodeReportsTokensPerSecondAgainstTheBandwidthFloor() {
        Path json = dir.resolve("decode.json");
        int code = run("bench", "decode", "--geometry", "tiny", "--device", "cpu", "--threads", "2", "--lengths", "70",
                "--batch", "1,3", "--steps", "4", "--piece", "32", "--runs", "1", "--copy-mib", "8", "--json", json.toString());
        assertThat(code).as(err).isZero();
        assertThat(err).contains("dca context 70: piece 3 of 3").contains("K/V copied to 2 more sequences")
                .doesNotContain("diverged");
        assertThat(out).contains("decode: tiny on cpu").contains("ceiling").contains("measured: a device-to-device copy of 8 MiB");

        JsonNode r = JsonMapper.builder().build().readTree(json.toFile());
        assertThat(r.get("command").asString()).isEqualTo("decode");
        assertThat(r.get("ceiling_gbps").asDouble()).isPositive();
        ModelConfig c = Geometry.TINY.config();
        long weights = Work.decodeWeightBytes(c, 2);
        assertThat(r.get("weight_bytes").asLong()).isEqualTo(weights);
        assertThat(r.get("results")).hasSize(2);
        for (JsonNode x : r.get("results")) {
            int batch = x.get("batch").asInt();
            assertThat(x.get("mode").asString()).isEqualTo("dca");
            assertThat(x.get("context").asInt()).isEqualTo(70);
            // Steps at 70..73 attend to 71..74 keys (mean 72.5) of fp32 K and V in every layer, per sequence.
            double bytes = weights + batch * 72.5 * 2 * 2 * 32 * 4;
            assertThat(x.get("bytes_per_step").asDouble()).isCloseTo(bytes, within(1e-6));
            double step = x.get("step_seconds").asDouble();
            assertThat(x.get("tokens_per_second").asDouble()).isCloseTo(batch / step, within(1e-6));
            assertThat(x.get("achieved_gbps").asDouble()).isCloseTo(bytes / step / 1e9, within(1e-9));
            assertThat(x.get("fraction_of_floor").asDouble())
                    .isCloseTo(x.get("achieved_gbps").asDouble() / r.get("ceiling_gbps").asDouble(), within(1e-9));
        }
    }

    @Test
    void withoutTheSplitNothingWaitsBetweenOpsAndThePartsAreLeftOut() {
        Path json = dir.resolve("nosplit.json");
        assertThat(run("bench", "prefill", "--geometry", "tiny", "--device", "cpu", "--threads", "1", "--lengths", "40",
                "--piece", "32", "--runs", "1", "--warmup", "0", "--mode", "dca", "--no-split", "--peak-tflops", "2",
                "--json", json.toString())).as(err).isZero();
        JsonNode x = JsonMapper.builder().build().readTree(json.toFile()).get("results").get(0);
        assertThat(x.get("attention_seconds").isNull()).isTrue();
        assertThat(x.get("gemm_vs_alone").isNull()).isTrue();
        assertThat(x.get("ttft_seconds").asDouble()).isPositive();
        assertThat(x.get("fraction_of_peak").asDouble()).isCloseTo(x.get("tflops").asDouble() / 2, within(1e-12));
        assertThat(out).contains("peak 2.00 TFLOP/s: given (--peak-tflops)");
    }

    @Test
    void aGivenCeilingIsUsedAndSaidSo() {
        assertThat(run("bench", "decode", "--geometry", "tiny", "--device", "cpu", "--threads", "1", "--lengths", "20",
                "--steps", "2", "--runs", "1", "--warmup", "0", "--hbm-gbps", "4800", "--mode", "dense")).as(err).isZero();
        assertThat(out).contains("dense").contains("ceiling 4800 GB/s: given (--hbm-gbps)");
    }

    @Test
    void badFlagsFailWithOneLineAndNoModel() {
        assertThat(run("bench", "prefill", "--geometry", "llama-3")).isEqualTo(2);
        assertThat(err).contains("unknown geometry 'llama-3'").contains("qwen2.5-14b-instruct-1m").doesNotContain("Exception");
        assertThat(run("bench", "decode", "--geometry", "qwen2.5-0.5b", "--mode", "dca")).isEqualTo(2);
        assertThat(err).contains("geometry qwen2.5-0.5b has no DCA config: use --mode dense");
        assertThat(run("bench", "prefill", "--geometry", "tiny", "--mode", "sparse")).isEqualTo(2);
        assertThat(err).contains("unknown mode 'sparse'");
        assertThat(run("bench", "prefill", "--geometry", "tiny", "--piece", "0")).isEqualTo(2);
        assertThat(err).contains("piece size must be at least 1");
        assertThat(run("bench", "prefill", "--geometry", "tiny", "--device", "cpu", "--lengths", "0")).isEqualTo(2);
        assertThat(err).contains("context length must be at least 1");
        assertThat(run("bench", "decode", "--geometry", "tiny", "--device", "tpu")).isEqualTo(2);
        assertThat(err).contains("unknown device 'tpu'");
        assertThat(run("bench", "decode", "--geometry", "tiny", "--hbm-gbps", "-1")).isEqualTo(2);
        assertThat(err).contains("--hbm-gbps must be positive");
        assertThat(run("bench")).isZero();
        assertThat(out).contains("prefill").contains("decode");
    }
}
