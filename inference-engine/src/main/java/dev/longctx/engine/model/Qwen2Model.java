package dev.longctx.engine.model;

import dev.longctx.engine.EngineOptions;
import dev.longctx.engine.attention.Attention;
import dev.longctx.engine.attention.AttentionGeometry;
import dev.longctx.engine.attention.CpuAttention;
import dev.longctx.engine.attention.Rope;
import dev.longctx.engine.attention.SparseAttentionConfig;
import dev.longctx.engine.backend.Backend;
import dev.longctx.engine.backend.cpu.CpuBackend;
import dev.longctx.engine.kv.KvCache;
import dev.longctx.engine.kv.SequenceKv;
import dev.longctx.engine.weights.Checkpoint;
import dev.longctx.engine.weights.CheckpointValidator;
import dev.longctx.engine.weights.Tensor;
import dev.longctx.engine.weights.WeightReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Qwen2ForCausalLM: embedding → N × (attention block, MLP block) → final RMSNorm → lm_head.
 * The whole forward pass is {@link #forward}; the choice between dense, DCA and sparse attention is made inside
 * the one {@link Attention} call.
 */
public final class Qwen2Model implements AutoCloseable {

    /** One decoder layer's weights. Norm weights and biases are small, so they are kept widened to fp32. */
    private record Layer(float[] inputNorm, Tensor wq, float[] bq, Tensor wk, float[] bk, Tensor wv, float[] bv,
                         Tensor wo, float[] postNorm, Tensor gate, Tensor up, Tensor down) {}

    private final Path modelDir;
    private final EngineOptions options;
    private final ModelConfig config;
    private final GenerationConfig generationConfig;
    private final Checkpoint checkpoint;
    private final Backend backend;
    private final Attention attention;
    private final AttentionGeometry geometry;
    private final Rope rope;
    private final Tensor embedding;
    private final Tensor lmHead;
    private final float[] finalNorm;
    private final Layer[] layers;
    /** Wall time spent inside attention since load: lets benchmarks separate attention from the dense layers. */
    private final java.util.concurrent.atomic.LongAdder attentionNanos = new java.util.concurrent.atomic.LongAdder();

    private Qwen2Model(Path modelDir, EngineOptions options, ModelConfig config, GenerationConfig generationConfig, Checkpoint checkpoint,
                       Backend backend, AttentionGeometry geometry, Attention attention) {
        this.modelDir = modelDir;
        this.options = options;
        this.config = config;
        this.generationConfig = generationConfig;
        this.checkpoint = checkpoint;
        this.backend = backend;
        this.attention = attention;
        this.geometry = geometry;
        this.rope = new Rope(config.headDim(), config.ropeTheta());
        this.embedding = checkpoint.tensor(Qwen2TensorNames.EMBED_TOKENS);
        this.lmHead = config.tieWordEmbeddings() && !checkpoint.has(Qwen2TensorNames.LM_HEAD)
                ? embedding : checkpoint.tensor(Qwen2TensorNames.LM_HEAD);
        this.finalNorm = WeightReader.toFloatArray(checkpoint.tensor(Qwen2TensorNames.FINAL_NORM));
        this.layers = new Layer[config.numLayers()];
        for (int i = 0; i < layers.length; i++) {
            layers[i] = new Layer(
                    floats(i, Qwen2TensorNames.INPUT_NORM),
                    tensor(i, Qwen2TensorNames.Q_WEIGHT), floats(i, Qwen2TensorNames.Q_BIAS),
                    tensor(i, Qwen2TensorNames.K_WEIGHT), floats(i, Qwen2TensorNames.K_BIAS),
                    tensor(i, Qwen2TensorNames.V_WEIGHT), floats(i, Qwen2TensorNames.V_BIAS),
                    tensor(i, Qwen2TensorNames.O_WEIGHT),
                    floats(i, Qwen2TensorNames.POST_ATTENTION_NORM),
                    tensor(i, Qwen2TensorNames.GATE_WEIGHT), tensor(i, Qwen2TensorNames.UP_WEIGHT), tensor(i, Qwen2TensorNames.DOWN_WEIGHT));
        }
    }

    /** Loads and validates a Hugging Face model directory; {@code options.dca()} false drops DCA (--no-dca). */
    public static Qwen2Model load(Path modelDir, EngineOptions options) {
        return load(modelDir, options, null);
    }

    /**
     * Like {@link #load(Path, EngineOptions)}, with sparse budgets given directly (calibration tries many) instead
     * of read from {@code options.sparseConfig()} or the model directory.
     */
    public static Qwen2Model load(Path modelDir, EngineOptions options, SparseAttentionConfig sparseOverride) {
        ModelConfig config = ModelConfigLoader.load(modelDir);
        if (!options.dca()) config = config.withoutDca();
        GenerationConfig generation = GenerationConfigLoader.load(modelDir);
        SparseAttentionConfig sparse = sparseOverride != null ? sparseOverride : sparseConfig(modelDir, options, config);
        Checkpoint checkpoint = Checkpoint.open(modelDir);
        try {
            CheckpointValidator.validate(config, checkpoint);
            AttentionGeometry geometry = AttentionGeometry.of(config);
            CpuAttention.checkBlockSize(geometry, options.kvBlockSize());
            CpuBackend backend = new CpuBackend(options.threads());
            Attention attention = new CpuAttention(geometry, sparse, options.sparseThreshold(), backend.pool());
            return new Qwen2Model(modelDir, options, config, generation, checkpoint, backend, geometry, attention);
        } catch (RuntimeException e) {
            checkpoint.close();
            throw e;
        }
    }

    /** The sparse budgets named by the options, else the ones beside the weights, else none. */
    private static SparseAttentionConfig sparseConfig(Path modelDir, EngineOptions options, ModelConfig config) {
        Path file = options.sparseConfig() != null ? options.sparseConfig()
                : modelDir.resolve(SparseAttentionConfig.FILE_NAME);
        if (options.sparseConfig() == null && !Files.isRegularFile(file)) return null;
        return SparseAttentionConfig.load(file, config.numLayers(), config.numHeads());
    }

    private Tensor tensor(int layer, String suffix) {
        return checkpoint.tensor(Qwen2TensorNames.layer(layer, suffix));
    }

    private float[] floats(int layer, String suffix) {
        return WeightReader.toFloatArray(tensor(layer, suffix));
    }

    public ModelConfig config() { return config; }

    public GenerationConfig generationConfig() { return generationConfig; }

    public Path modelDir() { return modelDir; }

    public EngineOptions options() { return options; }

    /** Total wall time of attention calls since the model was loaded, in seconds. */
    public double attentionSeconds() { return attentionNanos.sum() / 1e9; }

    public AttentionGeometry geometry() { return geometry; }

    /** The model's one attention implementation. */
    public Attention attention() { return attention; }

    public Backend backend() { return backend; }

    /** A KV cache of {@code blocks} blocks shaped for this model. */
    public KvCache newKvCache(int blocks, int blockSize) {
        return new KvCache(config.numLayers(), blocks, blockSize, config.numKvHeads(), config.headDim());
    }

    /**
     * One forward step over a batch of sequence chunks. The dense layers run on all tokens of the batch at once;
     * attention runs per chunk against that chunk's own KV blocks.
     *
     * @return per chunk: null (Logits.NONE), the last token's logits [vocab], or every token's [n × vocab]
     */
    public float[][] forward(List<SequenceChunk> chunks) {
        int d = config.hiddenSize(), qDim = config.qDim(), kvDim = config.kvDim(), inter = config.intermediateSize();
        int n = 0;
        for (SequenceChunk c : chunks) n += c.tokens().length;
        int[] ids = new int[n];
        int[] rowStart = new int[chunks.size()];
        for (int c = 0, r = 0; c < chunks.size(); c++) {
            rowStart[c] = r;
            int[] t = chunks.get(c).tokens();
            System.arraycopy(t, 0, ids, r, t.length);
            r += t.length;
        }

        float[] x = new float[n * d];                 // residual stream [n, d]
        float[] h = new float[n * d];                 // normed input of a block [n, d]
        float[] q = new float[n * qDim], k = new float[n * kvDim], v = new float[n * kvDim];
        float[] attnOut = new float[n * qDim];
        float[] proj = new float[n * d];
        float[] gate = new float[n * inter], up = new float[n * inter];
        backend.embed(embedding, ids, x);

        for (int l = 0; l < layers.length; l++) {
            Layer w = layers[l];
            // Attention block: h = rmsnorm(x); x += o_proj(attn(q, k, v))
            backend.rmsNorm(x, n, d, w.inputNorm, config.rmsNormEps(), h);
            backend.matmul(w.wq, h, n, q);
            backend.addBias(q, n, w.bq);
            backend.matmul(w.wk, h, n, k);
            backend.addBias(k, n, w.bk);
            backend.matmul(w.wv, h, n, v);
            backend.addBias(v, n, w.bv);
            for (int c = 0; c < chunks.size(); c++) writeKv(l, chunks.get(c), k, v, rowStart[c]);
            for (int c = 0; c < chunks.size(); c++) {
                SequenceChunk chunk = chunks.get(c);
                int len = chunk.tokens().length;
                float[] qc = slice(q, rowStart[c] * qDim, len * qDim);
                float[] oc = new float[len * qDim];
                long t0 = System.nanoTime();
                attention.forward(l, qc, len, chunk.start(), chunk.kv(), chunk.attention(), oc);
                attentionNanos.add(System.nanoTime() - t0);
                System.arraycopy(oc, 0, attnOut, rowStart[c] * qDim, len * qDim);
            }
            backend.matmul(w.wo, attnOut, n, proj);
            backend.add(x, proj, n * d);

            // MLP block: x += down(silu(gate(h)) * up(h)), h = rmsnorm(x)
            backend.rmsNorm(x, n, d, w.postNorm, config.rmsNormEps(), h);
            backend.matmul(w.gate, h, n, gate);
            backend.matmul(w.up, h, n, up);
            backend.siluMul(gate, up, n * inter);
            backend.matmul(w.down, gate, n, proj);
            backend.add(x, proj, n * d);
        }
        return logits(chunks, rowStart, x);
    }

    /** Rotates each new key at its cache position (p, or p mod L under DCA) and stores K/V in the chunk's blocks. */
    private void writeKv(int layer, SequenceChunk chunk, float[] k, float[] v, int row0) {
        SequenceKv kv = chunk.kv();
        int kvDim = config.kvDim(), hd = config.headDim();
        for (int i = 0; i < chunk.tokens().length; i++) {
            int p = chunk.start() + i;
            Rope.Angles angles = rope.angles(geometry.keyPosition(p));
            float[] kb = kv.keys(layer, p), vb = kv.values(layer, p);
            int src = (row0 + i) * kvDim;
            for (int hk = 0; hk < config.numKvHeads(); hk++) {
                int dst = kv.offset(p, hk);
                rope.rotate(k, src + hk * hd, kb, dst, angles);
                System.arraycopy(v, src + hk * hd, vb, dst, hd);
            }
        }
    }

    private float[][] logits(List<SequenceChunk> chunks, int[] rowStart, float[] x) {
        int d = config.hiddenSize(), vocab = config.vocabSize();
        float[][] result = new float[chunks.size()][];
        for (int c = 0; c < chunks.size(); c++) {
            SequenceChunk chunk = chunks.get(c);
            int len = chunk.tokens().length;
            int first = switch (chunk.logits()) {
                case NONE -> -1;
                case LAST -> rowStart[c] + len - 1;
                case ALL -> rowStart[c];
            };
            if (first < 0) continue;
            int rows = chunk.logits() == SequenceChunk.Logits.LAST ? 1 : len;
            float[] normed = new float[rows * d];
            backend.rmsNorm(slice(x, first * d, rows * d), rows, d, finalNorm, config.rmsNormEps(), normed);
            float[] out = new float[rows * vocab];
            backend.matmul(lmHead, normed, rows, out);
            result[c] = out;
        }
        return result;
    }

    private static float[] slice(float[] a, int off, int len) {
        float[] s = new float[len];
        System.arraycopy(a, off, s, 0, len);
        return s;
    }

    @Override
    public void close() {
        backend.close();
        checkpoint.close();
    }
}
