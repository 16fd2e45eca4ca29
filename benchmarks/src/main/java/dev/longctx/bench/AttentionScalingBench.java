package dev.longctx.bench;

import dev.longctx.engine.EngineOptions;
import dev.longctx.engine.attention.CpuAttention;
import dev.longctx.engine.attention.RecallAccumulator;
import dev.longctx.engine.attention.RecallRecorder;
import dev.longctx.engine.eval.BlockCost;
import dev.longctx.engine.eval.PasskeyTask;
import dev.longctx.engine.generate.Generator;
import dev.longctx.engine.model.ModelConfig;
import dev.longctx.engine.model.Qwen2Model;
import dev.longctx.engine.tokenizer.ChatTemplate;
import dev.longctx.engine.tokenizer.HfTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * CPU attention time of one prefill for dense RoPE, DCA and DCA+sparse at growing context lengths, on a real
 * (trained) model and a real passkey prompt, with the sparse mode's attention recall beside it. Attention time is
 * measured inside the model's one attention call (one run per cell after a short warm-up), so the dense layers (which scale linearly for every mode) do not
 * blur the comparison.
 *
 * <pre>java ... dev.longctx.bench.AttentionScalingBench --model models/longctx-tiny-chat --lengths 4096,8192,16384,32768</pre>
 */
public final class AttentionScalingBench {

    /** estimationSeconds: the part of attentionSeconds spent choosing sparse indices (NaN for dense modes). */
    record Row(int tokens, String mode, double attentionSeconds, double estimationSeconds, double prefillSeconds,
               double recall, double density, BlockCost.Means lastBlock) {}

    public static void main(String[] args) throws Exception {
        Path model = Path.of("models/longctx-tiny-chat");
        List<Integer> lengths = List.of(4096, 8192, 16384, 32768);
        int threads = 0, chunk = 4096, sparseThreshold = 1024;
        Path sparseConfig = null;
        java.util.Set<String> modes = java.util.Set.of("dense", "dca", "sparse");
        boolean recall = true;
        String dca = null;
        java.util.Map<String, Path> extraSparse = new java.util.LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--model" -> model = Path.of(args[++i]);
                case "--lengths" -> lengths = java.util.Arrays.stream(args[++i].split(",")).map(Integer::parseInt).toList();
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--prefill-chunk" -> chunk = Integer.parseInt(args[++i]);
                case "--sparse-threshold" -> sparseThreshold = Integer.parseInt(args[++i]);
                case "--sparse-config" -> sparseConfig = Path.of(args[++i]);
                case "--modes" -> modes = java.util.Set.of(args[++i].split(",")); // any of dense,dca,sparse
                case "--no-recall" -> recall = false; // skip the untimed recall pass (quicker probes)
                case "--dca" -> dca = args[++i]; // CHUNK,LOCAL: run the model under another DCA chunking
                case "--extra-sparse" -> { // label=FILE: one more DCA+sparse row with other budgets
                    String[] kv = args[++i].split("=", 2);
                    extraSparse.put(kv[0], Path.of(kv[1]));
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (dca != null) {
            String[] cl = dca.split(",");
            model = withDcaChunking(model, Integer.parseInt(cl[0]), Integer.parseInt(cl[1]));
        }
        EngineOptions base = EngineOptions.defaults().withThreads(threads).withMaxPrefillChunk(chunk);
        List<Row> rows = new ArrayList<>();
        try (HfTokenizer tokenizer = HfTokenizer.load(model)) {
            PasskeyTask task = new PasskeyTask(tokenizer);
            ChatTemplate template = ChatTemplate.load(model);
            // Warm-up on a short prompt so the JIT has compiled the kernels before the first timed run.
            int[] warm = task.chatPromptIds(template, task.sample(1024, 0.5, new SplittableRandom(1)));
            run(model, base.withSparse(true, 256, sparseConfig), "warm-up", warm, false);
            for (int length : lengths) {
                int[] ids = task.chatPromptIds(template, task.sample(length, 0.5, new SplittableRandom(length)));
                if (modes.contains("dense")) {
                    rows.add(run(model, base.withDca(false).withSparse(false, sparseThreshold, null), "dense (RoPE)", ids, false));
                }
                if (modes.contains("dca")) {
                    rows.add(run(model, base.withDca(true).withSparse(false, sparseThreshold, null), "DCA", ids, false));
                }
                if (modes.contains("sparse")) {
                    rows.add(run(model, base.withDca(true).withSparse(true, sparseThreshold, sparseConfig), "DCA+sparse", ids, recall));
                    for (var extra : extraSparse.entrySet()) {
                        rows.add(run(model, base.withDca(true).withSparse(true, sparseThreshold, extra.getValue()),
                                "DCA+sparse " + extra.getKey(), ids, recall));
                    }
                }
            }
        }
        System.out.println();
        System.out.println("| tokens | mode | attention s | of which estimation s | prefill s | attention vs dense | recall | density | keys per row | last block: band + other slashes (runs) + verticals |");
        System.out.println("|---:|---|---:|---:|---:|---:|---:|---:|---:|---|");
        for (Row r : rows) {
            double dense = rows.stream().filter(x -> x.tokens() == r.tokens() && x.mode().startsWith("dense"))
                    .mapToDouble(Row::attentionSeconds).findFirst().orElse(Double.NaN);
            // A causal row sees (T + 1) / 2 keys on average; density is the share of them the sparse kernel computed.
            System.out.printf(Locale.ROOT, "| %d | %s | %.2f | %s | %.2f | %.2f× | %s | %s | %s | %s |%n", r.tokens(), r.mode(),
                    r.attentionSeconds(),
                    Double.isNaN(r.estimationSeconds()) ? "–" : String.format(Locale.ROOT, "%.2f", r.estimationSeconds()),
                    r.prefillSeconds(), dense / r.attentionSeconds(),
                    Double.isNaN(r.recall()) ? "–" : String.format(Locale.ROOT, "%.4f", r.recall()),
                    Double.isNaN(r.density()) ? "–" : String.format(Locale.ROOT, "%.3f", r.density()),
                    Double.isNaN(r.density()) ? "–" : String.format(Locale.ROOT, "%.0f", r.density() * (r.tokens() + 1) / 2.0),
                    r.lastBlock() == null ? "–" : String.format(Locale.ROOT, "%.0f + %.0f (%.1f) + %.0f",
                            r.lastBlock().bandKeys(), r.lastBlock().slashKeys(), r.lastBlock().slashSpans(),
                            r.lastBlock().verticalKeys()));
        }
    }

    private static Row run(Path modelDir, EngineOptions options, String mode, int[] ids, boolean measureRecall) {
        try (Qwen2Model model = Qwen2Model.load(modelDir, options)) {
            ModelConfig c = model.config();
            Generator generator = new Generator(model);
            double attention = model.attentionSeconds();
            double estimation = estimationSeconds(model);
            long t0 = System.nanoTime();
            generator.prefillOnly(ids, null);
            double prefill = (System.nanoTime() - t0) / 1e9;
            double attentionTimed = model.attentionSeconds() - attention;
            double estimationTimed = estimationSeconds(model) - estimation;
            double recall = Double.NaN, density = Double.NaN;
            BlockCost.Means lastBlock = null;
            if (measureRecall) {
                // A separate pass: recording recall costs a dense pass of its own and must not be timed.
                RecallAccumulator acc = new RecallAccumulator(c.numLayers(), c.numHeads());
                BlockCost blockCost = new BlockCost();
                generator.prefillOnly(ids, RecallRecorder.both(acc, blockCost));
                recall = mean(acc.meanRecall());
                density = mean(acc.density());
                lastBlock = blockCost.means();
            }
            System.err.printf(Locale.ROOT, "%6d tokens  %-13s attention %.2f s (estimation %.2f s)  prefill %.2f s%n",
                    ids.length, mode, attentionTimed, estimationTimed, prefill);
            return new Row(ids.length, mode, attentionTimed, mode.contains("sparse") ? estimationTimed : Double.NaN,
                    prefill, recall, density, lastBlock);
        }
    }

    /**
     * A copy of the model directory (weights and tokenizer linked, not copied) whose config.json has another DCA
     * chunk_size and local_size. Sparse estimation runs once per prefill piece, and pieces are cut at DCA chunk
     * boundaries, so its quadratic share of the work is n_q / P of dense with P ≤ L: at least 1/7 for the default
     * model's L = 448. This shows the scaling at a realistic piece length; recall is still measured against the
     * model's own full attention. Everything created is deleted when the JVM exits.
     */
    static Path withDcaChunking(Path model, int chunkSize, int localSize) throws java.io.IOException {
        Path dir = java.nio.file.Files.createTempDirectory("longctx-dca-" + chunkSize + "-" + localSize + "-");
        dir.toFile().deleteOnExit();
        try (var files = java.nio.file.Files.list(model)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (name.equals("config.json") || name.equals("sparse_attention_config.json")) continue;
                java.nio.file.Files.createSymbolicLink(dir.resolve(name), f.toAbsolutePath()).toFile().deleteOnExit();
            }
        }
        var json = tools.jackson.databind.json.JsonMapper.builder().build();
        var config = (tools.jackson.databind.node.ObjectNode) json.readTree(model.resolve("config.json").toFile());
        var dcaNode = (tools.jackson.databind.node.ObjectNode) config.get("dual_chunk_attention_config");
        if (dcaNode == null) throw new IllegalArgumentException(model + " has no dual_chunk_attention_config to change");
        dcaNode.put("chunk_size", chunkSize);
        dcaNode.put("local_size", localSize);
        json.writeValue(dir.resolve("config.json").toFile(), config);
        dir.resolve("config.json").toFile().deleteOnExit(); // registered after dir: deleted before it
        System.err.printf(Locale.ROOT, "model %s with DCA chunk_size %d, local_size %d: %s%n", model, chunkSize, localSize, dir);
        return dir;
    }

    private static double estimationSeconds(Qwen2Model model) {
        return model.attention() instanceof CpuAttention cpu ? cpu.sparseEstimationSeconds() : Double.NaN;
    }

    private static double mean(double[][] x) {
        double s = 0;
        int n = 0;
        for (double[] row : x) for (double v : row) { s += v; n++; }
        return s / n;
    }
}
