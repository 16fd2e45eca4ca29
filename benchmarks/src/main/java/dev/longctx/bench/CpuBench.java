package dev.longctx.bench;

import com.github.tjake.jlama.safetensors.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;

/**
 * CPU prefill and decode speed of longctx and Jlama on the same checkpoint, the same prompt ids and the same thread
 * count, one engine after the other in one JVM, with decode set against the memory bandwidth measured in that JVM.
 *
 * <pre>
 *   CpuBench --model DIR [--prompt-tokens 256] [--gen-tokens 64] [--runs 3] [--warmup 2] [--threads N]
 *            [--engines longctx,jlama] [--prefill-chunk P] [--bandwidth-mb 2048] [--seed 1234]
 *            [--jlama-working-dtype BF16|F32]
 * </pre>
 */
public final class CpuBench {

    private record Options(Path model, int promptTokens, int genTokens, int runs, int warmup, int threads,
                           List<String> engines, int prefillChunk, long bandwidthBytes, long seed, DType jlamaWorkingDType) {}

    /** Medians over the measured runs; null fields mean the engine failed. */
    private record EngineResult(String engine, Double prefillTps, Double decodeTps, String error) {}

    private CpuBench() {}

    public static void main(String[] args) throws Exception {
        Options o = parse(args);
        CheckpointFacts facts = CheckpointFacts.read(o.model());
        int[] prompt = promptIds(o.promptTokens(), facts, o.seed());

        System.out.printf(Locale.ROOT, "# CPU benchmark: longctx vs Jlama%n%n");
        System.out.printf(Locale.ROOT, "- machine: %d logical CPUs, Java %s (%s), vector width %d bits, max heap %d MiB%n",
                Runtime.getRuntime().availableProcessors(), Runtime.version(), System.getProperty("java.vm.name"),
                FloatVector.SPECIES_PREFERRED.vectorBitSize(), Runtime.getRuntime().maxMemory() >> 20);
        System.out.printf(Locale.ROOT, "- model: %s (%d layers, hidden %d, vocab %d, %s embeddings, %.1f MB bf16)%n",
                o.model(), facts.numLayers(), facts.hiddenSize(), facts.vocabSize(), facts.tied() ? "tied" : "untied",
                facts.totalWeightBytes() / 1e6);
        System.out.printf(Locale.ROOT, "- workload: %d prompt tokens (random ids, seed %d) in prefill chunks of %d, %d greedy "
                        + "decode tokens (EOS ignored), %d threads, %d warm-up + %d measured runs (median)%n",
                o.promptTokens(), o.seed(), o.prefillChunk(), o.genTokens(), o.threads(), o.warmup(), o.runs());

        System.out.printf(Locale.ROOT, "%nmeasuring memory bandwidth (%d MiB, %d threads)...%n", o.bandwidthBytes() >> 20, o.threads());
        double bandwidth = MemoryBandwidth.measure(o.bandwidthBytes(), o.threads(), 5);
        System.out.printf(Locale.ROOT, "  %.1f GB/s (best of 5 passes)%n", bandwidth / 1e9);

        List<EngineResult> results = new ArrayList<>();
        for (String engine : o.engines()) results.add(benchmark(engine, o, prompt));

        double bytesPerToken = facts.weightBytesPerToken();
        System.out.printf(Locale.ROOT, "%nweights read per decoded token: %.1f MB (all layers + final norm + lm_head%s)%n",
                bytesPerToken / 1e6, facts.tied() ? ", tied to the embedding" : "");
        System.out.printf(Locale.ROOT, "measured memory bandwidth: %.1f GB/s%n%n", bandwidth / 1e9);
        System.out.println("| engine | prefill tok/s | decode tok/s | decode GB/s | % of measured bandwidth |");
        System.out.println("|---|---:|---:|---:|---:|");
        for (EngineResult r : results) {
            if (r.error() != null) {
                System.out.printf(Locale.ROOT, "| %s | failed | failed | - | - |%n", r.engine());
                continue;
            }
            double gbs = bytesPerToken * r.decodeTps() / 1e9;
            System.out.printf(Locale.ROOT, "| %s | %.1f | %.2f | %.2f | %.1f%% |%n", r.engine(), r.prefillTps(), r.decodeTps(),
                    gbs, 100 * gbs * 1e9 / bandwidth);
        }
        for (EngineResult r : results) {
            if (r.error() != null) System.out.printf(Locale.ROOT, "%n%s failed: %s%n", r.engine(), r.error());
        }
    }

    /** Loads one engine, warms it up, measures it and unloads it, so the next engine has the machine to itself. */
    private static EngineResult benchmark(String engine, Options o, int[] prompt) {
        System.out.printf(Locale.ROOT, "%n## %s%n", engine);
        long t0 = System.nanoTime();
        try (EngineBench bench = switch (engine) {
            case "longctx" -> new LongctxBench(o.model(), o.threads(), o.prefillChunk());
            case "jlama" -> new JlamaBench(o.model(), o.threads(), o.prefillChunk(), o.jlamaWorkingDType());
            default -> throw new IllegalArgumentException("unknown engine '" + engine + "' (longctx, jlama)");
        }) {
            System.out.printf(Locale.ROOT, "  loaded in %.1f s%n", (System.nanoTime() - t0) / 1e9);
            // Warm-up runs are full-size so that every code path (prefill at this length, decode) is JIT-compiled.
            for (int i = 0; i < o.warmup(); i++) {
                EngineBench.RunResult r = bench.run(prompt, o.genTokens());
                System.out.printf(Locale.ROOT, "  warm-up %d: prefill %.1f tok/s, decode %.2f tok/s%n", i + 1,
                        r.prefillTokensPerSecond(), r.decodeTokensPerSecond());
            }
            double[] prefill = new double[o.runs()], decode = new double[o.runs()];
            int[] firstTokens = null;
            for (int i = 0; i < o.runs(); i++) {
                EngineBench.RunResult r = bench.run(prompt, o.genTokens());
                prefill[i] = r.prefillTokensPerSecond();
                decode[i] = r.decodeTokensPerSecond();
                if (firstTokens == null) firstTokens = Arrays.copyOf(r.generated(), Math.min(8, r.generated().length));
                System.out.printf(Locale.ROOT, "  run %d: prefill %.1f tok/s, decode %.2f tok/s%n", i + 1, prefill[i], decode[i]);
            }
            // Random weights give near-uniform logits, so the two engines' bf16 rounding may pick different tokens;
            // the ids are shown only to see that each engine produces a sane, deterministic sequence.
            System.out.printf(Locale.ROOT, "  first generated ids: %s%n", Arrays.toString(firstTokens));
            return new EngineResult(bench.name(), median(prefill), median(decode), null);
        } catch (Throwable e) {
            // One engine failing (e.g. an API still being finished) must not cost the other engine's numbers.
            e.printStackTrace(System.out);
            return new EngineResult(engine, null, null, e.toString());
        } finally {
            System.gc();
        }
    }

    /**
     * Uniform random ids from the ordinary vocabulary, so that nothing in the prompt is special. Qwen2 numbers its
     * added (special) tokens from {@code <|endoftext|>} up, so the ids below the lowest BOS/EOS/PAD id are ordinary;
     * a checkpoint with special ids near 0 instead gets every id except those.
     */
    static int[] promptIds(int n, CheckpointFacts facts, long seed) {
        int lowestSpecial = facts.specialTokenIds().stream().mapToInt(Integer::intValue).min().orElse(facts.vocabSize());
        int bound = lowestSpecial >= facts.vocabSize() / 2 ? Math.min(lowestSpecial, facts.vocabSize()) : facts.vocabSize();
        SplittableRandom rng = new SplittableRandom(seed);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            int id;
            do id = rng.nextInt(bound); while (facts.specialTokenIds().contains(id));
            ids[i] = id;
        }
        return ids;
    }

    static double median(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        int m = s.length / 2;
        return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
    }

    private static Options parse(String[] args) {
        Map<String, String> a = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("-h") || args[i].equals("--help")) {
                System.out.println("usage: CpuBench --model DIR [--prompt-tokens 256] [--gen-tokens 64] [--runs 3] [--warmup 2] "
                        + "[--threads N] [--engines longctx,jlama] [--prefill-chunk P] [--bandwidth-mb 2048] [--seed 1234] "
                        + "[--jlama-working-dtype BF16|F32]");
                System.exit(0);
            }
            if (!args[i].startsWith("--") || i + 1 >= args.length) throw new IllegalArgumentException("bad argument: " + args[i]);
            a.put(args[i].substring(2), args[++i]);
        }
        Path model = Path.of(require(a, "model"));
        if (!Files.isDirectory(model)) throw new IllegalArgumentException("--model " + model + " is not a directory");
        int promptTokens = Integer.parseInt(a.getOrDefault("prompt-tokens", "256"));
        Options o = new Options(
                model,
                promptTokens,
                Integer.parseInt(a.getOrDefault("gen-tokens", "64")),
                Integer.parseInt(a.getOrDefault("runs", "3")),
                Integer.parseInt(a.getOrDefault("warmup", "2")),
                Integer.parseInt(a.getOrDefault("threads", Integer.toString(Runtime.getRuntime().availableProcessors()))),
                List.of(a.getOrDefault("engines", "longctx,jlama").split(",")),
                // One chunk by default: both engines then prefill the whole prompt in one batched pass.
                Integer.parseInt(a.getOrDefault("prefill-chunk", Integer.toString(promptTokens))),
                Long.parseLong(a.getOrDefault("bandwidth-mb", "2048")) << 20,
                Long.parseLong(a.getOrDefault("seed", "1234")),
                DType.valueOf(a.getOrDefault("jlama-working-dtype", "BF16").toUpperCase(Locale.ROOT)));
        a.keySet().removeAll(List.of("model", "prompt-tokens", "gen-tokens", "runs", "warmup", "threads", "engines",
                "prefill-chunk", "bandwidth-mb", "seed", "jlama-working-dtype"));
        if (!a.isEmpty()) throw new IllegalArgumentException("unknown options: " + a.keySet());
        if (o.promptTokens() < 1 || o.genTokens() < 2 || o.runs() < 1 || o.threads() < 1 || o.prefillChunk() < 1) {
            throw new IllegalArgumentException("need prompt-tokens >= 1, gen-tokens >= 2, runs >= 1, threads >= 1, prefill-chunk >= 1");
        }
        return o;
    }

    private static String require(Map<String, String> a, String key) {
        String v = a.get(key);
        if (v == null) throw new IllegalArgumentException("--" + key + " is required");
        return v;
    }
}
