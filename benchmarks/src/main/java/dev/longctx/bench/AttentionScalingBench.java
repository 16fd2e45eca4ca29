package dev.longctx.bench;

import dev.longctx.engine.EngineOptions;
import dev.longctx.engine.attention.RecallAccumulator;
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

    record Row(int tokens, String mode, double attentionSeconds, double prefillSeconds, double recall, double density) {}

    public static void main(String[] args) throws Exception {
        Path model = Path.of("models/longctx-tiny-chat");
        List<Integer> lengths = List.of(4096, 8192, 16384, 32768);
        int threads = 0, chunk = 4096, sparseThreshold = 1024;
        Path sparseConfig = null;
        java.util.Map<String, Path> extraSparse = new java.util.LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--model" -> model = Path.of(args[++i]);
                case "--lengths" -> lengths = java.util.Arrays.stream(args[++i].split(",")).map(Integer::parseInt).toList();
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--prefill-chunk" -> chunk = Integer.parseInt(args[++i]);
                case "--sparse-threshold" -> sparseThreshold = Integer.parseInt(args[++i]);
                case "--sparse-config" -> sparseConfig = Path.of(args[++i]);
                case "--extra-sparse" -> { // label=FILE: one more DCA+sparse row with other budgets
                    String[] kv = args[++i].split("=", 2);
                    extraSparse.put(kv[0], Path.of(kv[1]));
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
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
                rows.add(run(model, base.withDca(false).withSparse(false, sparseThreshold, null), "dense (RoPE)", ids, false));
                rows.add(run(model, base.withDca(true).withSparse(false, sparseThreshold, null), "DCA", ids, false));
                rows.add(run(model, base.withDca(true).withSparse(true, sparseThreshold, sparseConfig), "DCA+sparse", ids, true));
                for (var extra : extraSparse.entrySet()) {
                    rows.add(run(model, base.withDca(true).withSparse(true, sparseThreshold, extra.getValue()),
                            "DCA+sparse " + extra.getKey(), ids, true));
                }
            }
        }
        System.out.println();
        System.out.println("| tokens | mode | attention s | prefill s | attention vs dense | recall | density |");
        System.out.println("|---:|---|---:|---:|---:|---:|---:|");
        for (Row r : rows) {
            double dense = rows.stream().filter(x -> x.tokens() == r.tokens() && x.mode().startsWith("dense"))
                    .mapToDouble(Row::attentionSeconds).findFirst().orElse(Double.NaN);
            System.out.printf(Locale.ROOT, "| %d | %s | %.2f | %.2f | %.2f× | %s | %s |%n", r.tokens(), r.mode(),
                    r.attentionSeconds(), r.prefillSeconds(), dense / r.attentionSeconds(),
                    Double.isNaN(r.recall()) ? "–" : String.format(Locale.ROOT, "%.4f", r.recall()),
                    Double.isNaN(r.density()) ? "–" : String.format(Locale.ROOT, "%.3f", r.density()));
        }
    }

    private static Row run(Path modelDir, EngineOptions options, String mode, int[] ids, boolean measureRecall) {
        try (Qwen2Model model = Qwen2Model.load(modelDir, options)) {
            ModelConfig c = model.config();
            Generator generator = new Generator(model);
            double attention = model.attentionSeconds();
            long t0 = System.nanoTime();
            generator.prefillOnly(ids, null);
            double prefill = (System.nanoTime() - t0) / 1e9;
            double attentionTimed = model.attentionSeconds() - attention;
            double recall = Double.NaN, density = Double.NaN;
            if (measureRecall) {
                // A separate pass: recording recall costs a dense pass of its own and must not be timed.
                RecallAccumulator acc = new RecallAccumulator(c.numLayers(), c.numHeads());
                generator.prefillOnly(ids, acc);
                recall = mean(acc.meanRecall());
                density = mean(acc.density());
            }
            System.err.printf(Locale.ROOT, "%6d tokens  %-13s attention %.2f s  prefill %.2f s%n", ids.length, mode, attentionTimed, prefill);
            return new Row(ids.length, mode, attentionTimed, prefill, recall, density);
        }
    }

    private static double mean(double[][] x) {
        double s = 0;
        int n = 0;
        for (double[] row : x) for (double v : row) { s += v; n++; }
        return s / n;
    }
}
