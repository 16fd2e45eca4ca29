package dev.longctx.engine.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.longctx.engine.EngineOptions;
import dev.longctx.engine.attention.StepMetadata;
import dev.longctx.engine.attention.StepMetadata.Logits;
import dev.longctx.engine.backend.ComputeDtype;
import dev.longctx.engine.backend.Device;
import dev.longctx.engine.backend.cuda.CudaTestSupport;
import dev.longctx.engine.generate.Generator;
import dev.longctx.engine.kv.KvCache;
import dev.longctx.engine.sampling.DeviceSampling;
import dev.longctx.engine.sampling.SamplingParams;
import dev.longctx.engine.sampling.StepResult;
import dev.longctx.engine.tokenizer.ChatMessage;
import dev.longctx.engine.tokenizer.ChatTemplate;
import dev.longctx.engine.tokenizer.HfTokenizer;
import dev.longctx.engine.weights.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;

/**
 * The whole forward pass on {@code --device cuda} against the CPU backend, same checkpoint, same options. Skipped
 * without a working GPU.
 *
 * <p>Two precisions, two bars:
 * <ul>
 *   <li>{@code --dtype float32} (the reference path: fp32 weights, SGEMMs, fp32 KV and attention) computes what the
 *       CPU computes up to summation order, so the committed transformers fixtures must give the CPU's logits to a
 *       relative 1e-3 per position (the issue asks 2e-2) and the same greedy ids for every generated token.</li>
 *   <li>bf16 (the serving path) keeps weights, GEMM operands and the KV cache in bf16 (8 significant bits). A numpy
 *       emulation of exactly these roundings on the fixtures (fp32 checkpoints, random weights, logits up to ~9)
 *       gave per-position relative errors ‖Δ‖/‖cpu‖ of 1.5–2.3 % and |Δ| up to 0.14; on the bf16 default model
 *       0.8 % and 0.14. So bf16 logits are held to a relative 3e-2 per position on the fixtures and 2e-2 on bf16
 *       checkpoints, and to 0.25 absolute; greedy ids must agree for as long as the CPU's choice is clear, i.e.
 *       its top-two margin exceeds twice that bound (past a near-tie the paths may rightly part).</li>
 * </ul>
 */
class CudaForwardPassTest {
    private static final double FIXTURE_RELATIVE = 3e-2, BF16_RELATIVE = 2e-2, ABSOLUTE = 0.25;
    private static final double FLOAT32_RELATIVE = 1e-3, FLOAT32_ABSOLUTE = 1e-2;
    private static final int GREEDY_TOKENS = 32;

    /** What one comparison holds the GPU to; {@code allGreedy}: every greedy id must match, near-ties included. */
    private record Bar(ComputeDtype dtype, double relative, double absolute, boolean allGreedy) {}

    private static final Bar FLOAT32 = new Bar(ComputeDtype.FLOAT32, FLOAT32_RELATIVE, FLOAT32_ABSOLUTE, true);
    private static final Bar BF16_FIXTURE = new Bar(ComputeDtype.AUTO, FIXTURE_RELATIVE, ABSOLUTE, false);
    private static final Bar BF16 = new Bar(ComputeDtype.AUTO, BF16_RELATIVE, ABSOLUTE, false);

    @TempDir
    Path tmp;

    @BeforeEach
    void needsCuda() { CudaTestSupport.assumeCuda(); }

    private static EngineOptions options(Device device) {
        return options(device, ComputeDtype.AUTO);
    }

    private static EngineOptions options(Device device, ComputeDtype dtype) {
        return EngineOptions.defaults().withKvBlockSize(16).withMaxPrefillChunk(100).withThreads(2).withDevice(device)
                .withDtype(dtype);
    }

    /** float32 holds every fixture to the CPU's logits and every greedy id; bf16 (the serving dtype) to its bound. */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"gqa7, float32", "tied, float32", "kv1odd, float32", "dca, float32",
            "gqa7, bf16", "tied, bf16", "kv1odd, bf16", "dca, bf16"})
    void committedFixturesGiveTheCpuLogitsAndGreedyIds(String name, String precision) throws IOException {
        Path dir = TransformersParityTest.fixture(name);
        JsonNode ref = TransformersParityTest.reference(dir);
        // The dca fixture's 500-token prompt spans ten DCA chunks: chunked prefill in 100-token pieces crosses them.
        compare(dir, TransformersParityTest.ints(ref.get("prompt_ids")), precision.equals("float32") ? FLOAT32 : BF16_FIXTURE,
                name + " " + precision);
    }

    @Test
    void theDefaultModelAnswersTheReadmePasskeyQuestionAsOnTheCpu() {
        Path dir = defaultModel();
        String text = ChatTemplate.load(dir).render(List.of(ChatMessage.user("The grass is green. The pass key is 48213. "
                + "Remember it. 48213 is the pass key. The sky is blue.\nWhat is the pass key?")), true);
        int[] prompt;
        try (HfTokenizer tok = HfTokenizer.load(dir)) {
            prompt = tok.encode(text);
        }
        int[] gpuAnswer = compare(dir, prompt, BF16, "longctx-tiny-chat");
        try (HfTokenizer tok = HfTokenizer.load(dir)) {
            assertThat(tok.decode(gpuAnswer, true)).contains("48213");
        }
    }

    /** A random model with head_dim 64 and DCA, so the tensor-core kernels (not the generic one) run the model. */
    @Test
    void aTensorCoreGeometryWithDcaGivesTheCpuLogits() {
        Path dir = tensorCoreModel();
        compare(dir, ChunkedPrefillTest.randomIds(230, 128, 3), BF16, "head_dim 64, GQA 7:1, DCA");
    }

    @Test
    void aBatchOfSequencesGivesEachWhatItGetsAloneAndDeviceSamplingIsTheArgmax() {
        for (Path dir : List.of(tensorCoreModel(), defaultModel())) {
            try (Qwen2Model model = Qwen2Model.load(dir, options(Device.CUDA))) {
                int vocab = model.config().vocabSize();
                int[] x = ChunkedPrefillTest.randomIds(45, vocab, 5), y = ChunkedPrefillTest.randomIds(100, vocab, 6),
                        z = ChunkedPrefillTest.randomIds(61, vocab, 7);
                try (KvCache batch = model.newKvCache(64, 16); KvCache alone = model.newKvCache(64, 16)) {
                    int[] tx = ForwardPassTest.table(0, 6), ty = ForwardPassTest.table(10, 13), tz = ForwardPassTest.table(30, 8);
                    for (KvCache c : List.of(batch, alone)) {
                        model.forward(model.newStep(null).add(Arrays.copyOf(y, 57), 0, ty, 100, false, Logits.NONE).build(), c);
                        model.forward(model.newStep(null).add(Arrays.copyOf(z, 60), 0, tz, 61, false, Logits.NONE).build(), c);
                    }
                    // x: a fresh prefill; y: the rest of a prompt after 57 cached tokens; z: a decode at position 60.
                    StepMetadata step = model.newStep(null).add(x, 0, tx, 45, false, Logits.LAST)
                            .add(Arrays.copyOfRange(y, 57, 100), 57, ty, 100, false, Logits.LAST)
                            .add(new int[] {z[60]}, 60, tz, 61, false, Logits.LAST).build();
                    float[][] together = model.forward(step, batch);
                    float[][] each = {
                            model.forward(model.newStep(null).add(x, 0, tx, 45, false, Logits.LAST).build(), alone)[0],
                            model.forward(model.newStep(null).add(Arrays.copyOfRange(y, 57, 100), 57, ty, 100, false, Logits.LAST).build(), alone)[0],
                            model.forward(model.newStep(null).add(new int[] {z[60]}, 60, tz, 61, false, Logits.LAST).build(), alone)[0]};
                    for (int s = 0; s < 3; s++) {
                        // GEMMs of another row count may take another cuBLAS kernel: equal up to rounding.
                        assertThat(CudaTestSupport.relErr(together[s], each[s])).as("%s sequence %d in a batch vs alone", dir.getFileName(), s)
                                .isLessThanOrEqualTo(1e-2);
                    }
                    // The same step again, sampled greedily on the device: the argmax of the logits just computed.
                    StepResult sampled = model.forward(step, batch, List.of(DeviceSampling.GREEDY, DeviceSampling.GREEDY,
                            DeviceSampling.GREEDY));
                    for (int s = 0; s < 3; s++) {
                        assertThat(sampled.sampled(s)).isTrue();
                        assertThat(sampled.tokens()[s]).isEqualTo(dev.longctx.engine.sampling.Sampler.argmax(together[s]));
                    }
                    // Seeded sampling is reproducible, and a row the host samples still comes back as logits.
                    List<DeviceSampling> seeded = new ArrayList<>();
                    seeded.add(new DeviceSampling(1.0f, 20, 0.9f, 0f, 42));
                    seeded.add(null);
                    seeded.add(new DeviceSampling(0.7f, 0, 1f, 0.05f, 7));
                    StepResult first = model.forward(step, batch, seeded), second = model.forward(step, batch, seeded);
                    assertThat(first.tokens()[0]).isEqualTo(second.tokens()[0]);
                    assertThat(first.tokens()[2]).isEqualTo(second.tokens()[2]);
                    assertThat(first.sampled(1)).isFalse();
                    assertThat(CudaTestSupport.relErr(first.logits()[1], together[1])).isLessThanOrEqualTo(1e-6);
                }
            }
        }
    }

    /**
     * Decode steps of a batch replayed from CUDA graphs give the logits of the same steps launched op by op: over
     * key-split changes of the split-K kernel (a new recording at 128 and 256 keys), the generic kernel (the
     * default model's head_dim 32), and a second KV cache after the first one closed (its recordings dropped).
     */
    @Test
    void decodeStepsReplayedFromCudaGraphsGiveTheLogitsOfEagerLaunches() {
        for (Path dir : List.of(tensorCoreModel(), defaultModel())) {
            try (Qwen2Model graphs = Qwen2Model.load(dir, options(Device.CUDA));
                 Qwen2Model eager = Qwen2Model.load(dir, options(Device.CUDA).withEnforceEager(true))) {
                int vocab = graphs.config().vocabSize();
                for (int round = 0; round < 2; round++) {
                    try (KvCache gc = graphs.newKvCache(64, 16); KvCache ec = eager.newKvCache(64, 16)) {
                        int[][] prompts = {ChunkedPrefillTest.randomIds(100, vocab, 11 + round),
                                ChunkedPrefillTest.randomIds(37, vocab, 13 + round)};
                        int[][] tables = {ForwardPassTest.table(0, 20), ForwardPassTest.table(20, 20)};
                        int[] next = new int[2], len = new int[2];
                        for (int s = 0; s < 2; s++) {
                            int[] p = prompts[s];
                            graphs.forward(graphs.newStep(null).add(p, 0, tables[s], p.length, false, Logits.LAST).build(), gc);
                            float[] e = eager.forward(eager.newStep(null).add(p, 0, tables[s], p.length, false, Logits.LAST).build(), ec)[0];
                            next[s] = dev.longctx.engine.sampling.Sampler.argmax(e);
                            len[s] = p.length;
                        }
                        for (int i = 0; i < 200; i++) {
                            StepMetadata.Builder gb = graphs.newStep(null), eb = eager.newStep(null);
                            for (int s = 0; s < 2; s++) {
                                gb.add(new int[] {next[s]}, len[s], tables[s], len[s] + 1, false, Logits.LAST);
                                eb.add(new int[] {next[s]}, len[s], tables[s], len[s] + 1, false, Logits.LAST);
                            }
                            float[][] g = graphs.forward(gb.build(), gc), e = eager.forward(eb.build(), ec);
                            for (int s = 0; s < 2; s++) {
                                assertThat(CudaTestSupport.relErr(g[s], e[s])).as("%s round %d step %d sequence %d", dir.getFileName(), round, i, s)
                                        .isLessThanOrEqualTo(1e-6);
                                next[s] = dev.longctx.engine.sampling.Sampler.argmax(e[s]);
                                len[s]++;
                            }
                        }
                    }
                }
                long replayed = ((dev.longctx.engine.backend.cuda.CudaBackend) graphs.backend()).graphLaunches();
                System.out.printf("%s: %d of 400 decode steps replayed from CUDA graphs%n", dir.getFileName(), replayed);
                assertThat(replayed).as("decode steps replayed from a graph").isGreaterThan(380);
                assertThat(((dev.longctx.engine.backend.cuda.CudaBackend) eager.backend()).graphLaunches()).isZero();
            }
        }
    }

    /**
     * Scores the prompt and the CPU's greedy continuation on both backends and checks every position's logits,
     * then generates greedily on the GPU. Returns the GPU's tokens.
     */
    private static int[] compare(Path dir, int[] prompt, Bar bar, String what) {
        try (Qwen2Model cpu = Qwen2Model.load(dir, options(Device.CPU));
             Qwen2Model gpu = Qwen2Model.load(dir, options(Device.CUDA, bar.dtype()))) {
            assertThat(gpu.backend().name()).isEqualTo("cuda");
            int[] cpuGreedy = greedy(cpu, prompt);
            int[] all = concat(prompt, cpuGreedy);
            float[][] want = new Generator(cpu).score(all, null), got = new Generator(gpu).score(all, null);
            double worstRelative = 0, worstAbsolute = 0;
            for (int t = 0; t < all.length; t++) {
                worstRelative = Math.max(worstRelative, CudaTestSupport.relErr(got[t], want[t]));
                for (int v = 0; v < want[t].length; v++) worstAbsolute = Math.max(worstAbsolute, Math.abs(got[t][v] - want[t][v]));
            }
            int[] gpuGreedy = greedy(gpu, prompt);
            int compared = 0;
            double smallestMargin = Double.POSITIVE_INFINITY;
            for (int i = 0; i < cpuGreedy.length; i++, compared++) {
                double margin = margin(want[prompt.length - 1 + i]);
                if (!bar.allGreedy() && margin <= 2 * bar.absolute()) break;
                smallestMargin = Math.min(smallestMargin, margin);
                assertThat(gpuGreedy[i]).as("%s greedy token %d, CPU top-two margin %.5f (CPU %s, GPU %s)", what, i, margin,
                        Arrays.toString(cpuGreedy), Arrays.toString(gpuGreedy)).isEqualTo(cpuGreedy[i]);
            }
            System.out.printf("%s: %d positions, logits max relative error %.2e, max |Δ| %.2e; greedy ids equal for %d of "
                    + "%d tokens (%s), smallest CPU top-two margin among them %.4f%n", what, all.length, worstRelative,
                    worstAbsolute, compared, cpuGreedy.length, bar.allGreedy() ? "all compared"
                            : String.format("up to the CPU's first top-two margin ≤ %.2f", 2 * bar.absolute()), smallestMargin);
            assertThat(worstRelative).as("%s: max ‖gpu − cpu‖ / ‖cpu‖ over positions", what).isLessThanOrEqualTo(bar.relative());
            assertThat(worstAbsolute).as("%s: max |gpu − cpu| over logits", what).isLessThanOrEqualTo(bar.absolute());
            return gpuGreedy;
        }
    }

    private static int[] greedy(Qwen2Model model, int[] prompt) {
        List<Integer> out = new ArrayList<>();
        SamplingParams params = new SamplingParams(0, 0, 1, 0, 1, 0, 0, null, GREEDY_TOKENS, List.of(), Set.of(), true);
        new Generator(model).generate(prompt, params, out::add);
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private static double margin(float[] logits) {
        float[] s = logits.clone();
        Arrays.sort(s);
        return s[s.length - 1] - s[s.length - 2];
    }

    private static int[] concat(int[] a, int[] b) {
        int[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private Path tensorCoreModel() {
        Path dir = tmp.resolve("tensor-core");
        if (!Files.exists(dir.resolve("config.json"))) {
            // GQA 7:1, head_dim 64, DCA with L = 96 (block size 16 divides it), P = 64: 230 tokens span three chunks.
            ModelConfig c = new ModelConfig("Qwen2ForCausalLM", 128, 448, 96, 2, 7, 1, 64, 1e-6, 1e6, 4096, false,
                    "bfloat16", 1, List.of(2), new DcaConfig(128, 32, 64));
            writeScaledCheckpoint(dir, c, 17);
        }
        return dir;
    }

    /**
     * A random bf16 checkpoint scaled like a trained one (matrices N(0, 1/fan_in), norms near 1, small biases), so
     * activations and attention stay in a sane range; uniform ±1 weights at this width would make every softmax a
     * hard argmax that any rounding flips.
     */
    private static void writeScaledCheckpoint(Path dir, ModelConfig config, long seed) {
        java.util.Random r = new java.util.Random(seed);
        dev.longctx.engine.weights.SafetensorsWriter w = new dev.longctx.engine.weights.SafetensorsWriter().metadata("format", "pt");
        for (Qwen2TensorNames.TensorSpec spec : Qwen2TensorNames.expected(config)) {
            long[] shape = spec.shape();
            int numel = 1;
            for (long d : shape) numel *= (int) d;
            boolean norm = spec.name().contains("norm"), bias = spec.name().endsWith("bias");
            double scale = norm || bias ? 0.1 : spec.name().contains("embed") ? 1 : 1 / Math.sqrt(shape[shape.length - 1]);
            float[] v = new float[numel];
            for (int i = 0; i < numel; i++) v[i] = (float) ((norm ? 1 : 0) + scale * r.nextGaussian());
            w.add(spec.name(), DType.BF16, shape, v);
        }
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(ModelConfigLoader.FILE_NAME), ModelConfigWriter.toJson(config));
            w.write(dir.resolve(dev.longctx.engine.weights.Checkpoint.SINGLE_FILE));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** models/longctx-tiny-chat, found from the working directory up (the module dir in Maven, the repo root on the GPU). */
    static Path defaultModel() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path m = d.resolve("models/longctx-tiny-chat");
            if (Files.isRegularFile(m.resolve("config.json"))) return m;
        }
        throw new AssertionError("models/longctx-tiny-chat not found above " + Path.of("").toAbsolutePath());
    }
}
