package dev.longctx.engine.weights;

import dev.longctx.engine.model.ModelConfig;
import dev.longctx.engine.model.Qwen2TensorNames;
import dev.longctx.engine.model.Qwen2TensorNames.TensorSpec;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.stream.IntStream;

/**
 * Random bf16 weights of a Qwen2 model's every tensor, without a file: for benchmarks, whose speed does not depend on
 * the values (dense math does the same work on any numbers), at geometries nobody wants to download (15 GB for a 7B).
 *
 * <p>Matrices and biases are windows into one shared pool of random values, at a per-tensor offset: the pool is the
 * size of the largest tensor plus some slack, so a 7B model costs ~1.1 GB of host memory and a second of filling, not
 * 15 GB generated element by element. Values are uniform with standard deviation {@value #STD} (a trained model's
 * scale, so activations stay finite through every layer), never all zeros (zeros make a GPU run cooler and faster
 * than real data). Norm weights are 1 ± {@value #NORM_SPREAD}, generated per tensor. Everything is a function of the
 * seed: the same seed gives the same bytes, however many threads filled them.
 */
public final class RandomWeights implements WeightSource {

    /** Standard deviation of matrix and bias elements. */
    public static final double STD = 0.02;
    /** Norm weights are uniform in [1 − spread, 1 + spread). */
    public static final double NORM_SPREAD = 0.1;
    /** Pool elements filled per task: small enough to spread over the cores, large enough to be cheap to start. */
    private static final int FILL_CHUNK = 1 << 20;
    private static final ValueLayout.OfShort BF16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final long seed;
    private final Arena arena;
    private final Map<String, Tensor> tensors;
    private final long hostBytes;

    private RandomWeights(long seed, Arena arena, Map<String, Tensor> tensors, long hostBytes) {
        this.seed = seed;
        this.arena = arena;
        this.tensors = Collections.unmodifiableMap(tensors);
        this.hostBytes = hostBytes;
    }

    /** Every tensor {@code config}'s model needs, in Hugging Face naming, bf16, as a function of {@code seed}. */
    public static RandomWeights of(ModelConfig config, long seed) {
        var specs = Qwen2TensorNames.expected(config);
        long largest = 0;
        for (TensorSpec s : specs) if (!isNorm(s.name())) largest = Math.max(largest, numel(s.shape()));
        // Slack lets tensors of the same size start at different places (and so hold different values).
        long poolElements = largest + Math.min(largest, 1L << 22);
        Arena arena = Arena.ofShared();
        try {
            MemorySegment pool = arena.allocate(poolElements * 2, 64);
            fill(pool, poolElements, seed, STD * Math.sqrt(3));
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            long hostBytes = poolElements * 2;
            for (TensorSpec s : specs) {
                long n = numel(s.shape());
                MemorySegment data;
                if (isNorm(s.name())) {
                    data = arena.allocate(n * 2, 64);
                    hostBytes += n * 2;
                    SplittableRandom r = new SplittableRandom(mix(seed, s.name()));
                    for (long i = 0; i < n; i++) {
                        data.setAtIndex(BF16, i, WeightReader.floatToBf16((float) (1 + NORM_SPREAD * (2 * r.nextDouble() - 1))));
                    }
                } else {
                    long offset = Math.floorMod(mix(seed, s.name()), poolElements - n + 1);
                    data = pool.asSlice(offset * 2, n * 2);
                }
                tensors.put(s.name(), new Tensor(s.name(), DType.BF16, s.shape(), data.asReadOnly()));
            }
            return new RandomWeights(seed, arena, tensors, hostBytes);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** Uniform values in [−a, a) as bf16, chunk by chunk in parallel, each chunk from its own seeded stream. */
    private static void fill(MemorySegment pool, long elements, long seed, double a) {
        int chunks = Math.toIntExact((elements + FILL_CHUNK - 1) / FILL_CHUNK);
        IntStream.range(0, chunks).parallel().forEach(c -> {
            SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + c);
            long from = (long) c * FILL_CHUNK, to = Math.min(elements, from + FILL_CHUNK);
            for (long i = from; i < to; i++) {
                // 24 random bits → [−1, 1): cheaper than nextDouble and as uniform as bf16 can show.
                float u = (r.nextInt() >> 8) * 0x1p-23f;
                pool.setAtIndex(BF16, i, WeightReader.floatToBf16((float) (u * a)));
            }
        });
    }

    private static boolean isNorm(String name) {
        return name.equals(Qwen2TensorNames.FINAL_NORM) || name.endsWith("." + Qwen2TensorNames.INPUT_NORM)
                || name.endsWith("." + Qwen2TensorNames.POST_ATTENTION_NORM);
    }

    /** A per-tensor number from the seed and the name (String.hashCode is specified, so this is stable across JVMs). */
    private static long mix(long seed, String name) {
        long z = seed * 0x9E3779B97F4A7C15L + name.hashCode();
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    /** Host memory these weights hold: the pool and the norm vectors. */
    public long hostBytes() { return hostBytes; }

    @Override
    public String description() {
        return String.format(Locale.ROOT, "random bf16 weights (seed %d; uniform, std %.2f; norms 1 ± %.1f)", seed, STD, NORM_SPREAD);
    }

    @Override
    public Set<String> names() { return Collections.unmodifiableSet(new TreeSet<>(tensors.keySet())); }

    @Override
    public boolean has(String name) { return tensors.containsKey(name); }

    /** The entry a safetensors file of these tensors would declare: BF16, the tensor's shape, its byte length. */
    @Override
    public SafetensorsFile.Entry entry(String name) {
        Tensor t = tensor(name);
        return new SafetensorsFile.Entry(name, "BF16", t.shape(), 0, t.data().byteSize());
    }

    @Override
    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) throw new CheckpointException("tensor '" + name + "' is not part of " + description());
        return t;
    }

    /** Frees the pool; tensors handed out earlier must not be used afterwards. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) arena.close();
    }
}
