package dev.longctx.engine.model;

import dev.longctx.common.prefix.PrefixFacts;
import dev.longctx.engine.EngineOptions;
import dev.longctx.engine.attention.Attention;
import dev.longctx.engine.attention.AttentionGeometry;
import dev.longctx.engine.attention.AttentionStep;
import dev.longctx.engine.attention.CpuAttention;
import dev.longctx.engine.attention.DcaScaleRule;
import dev.longctx.engine.attention.RecallRecorder;
import dev.longctx.engine.attention.SparseAttentionConfig;
import dev.longctx.engine.attention.StepMetadata;
import dev.longctx.engine.backend.Backend;
import dev.longctx.engine.backend.Backends;
import dev.longctx.engine.backend.DeviceBuffer;
import dev.longctx.engine.backend.Weight;
import dev.longctx.engine.kv.KvCache;
import dev.longctx.engine.kv.KvCacheSpec;
import dev.longctx.engine.sampling.DeviceSampling;
import dev.longctx.engine.sampling.StepResult;
import dev.longctx.engine.weights.Checkpoint;
import dev.longctx.engine.weights.CheckpointValidator;
import dev.longctx.engine.weights.Tensor;
import dev.longctx.engine.weights.WeightSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * Qwen2ForCausalLM: embedding → N × (attention block, MLP block) → final RMSNorm → lm_head.
 * The whole forward pass is {@link #forward}, on the buffers and weights of one {@link Backend}; the choice between
 * dense, DCA and sparse attention is made inside the one {@link Attention} call per layer.
 */
public final class Qwen2Model implements AutoCloseable {

    /** One decoder layer's weights on the backend: q/k/v stacked into one matrix (and one bias), gate/up likewise. */
    private record Layer(Weight inputNorm, Weight qkv, Weight qkvBias, Weight o, Weight postNorm, Weight gateUp,
                         Weight down) {}

    private final EngineOptions options;
    private final ModelConfig config;
    private final GenerationConfig generationConfig;
    private final WeightSource checkpoint;
    private final Backend backend;
    private final Attention attention;
    private final AttentionGeometry geometry;
    private final SparseAttentionConfig sparseConfig;
    /** The sparse budgets' identity in the prefix salt (hashed once, not per request); null without budgets. */
    private final String sparseIdentity;
    private final Weight embedding;
    private final Weight lmHead;
    private final Weight finalNorm;
    private final Layer[] layers;
    private final Activations act;
    /** Wall time spent inside attention since load: lets benchmarks separate attention from the dense layers. */
    private final LongAdder attentionNanos = new LongAdder();

    private Qwen2Model(EngineOptions options, ModelConfig config, GenerationConfig generationConfig,
                       WeightSource checkpoint, Backend backend, AttentionGeometry geometry, SparseAttentionConfig sparse) {
        this.options = options;
        this.config = config;
        this.generationConfig = generationConfig;
        this.checkpoint = checkpoint;
        this.backend = backend;
        this.geometry = geometry;
        this.sparseConfig = sparse;
        this.sparseIdentity = sparse == null ? null : sparse.identity();
        this.attention = backend.newAttention(geometry, sparse, options.sparseThreshold());
        this.embedding = backend.upload(checkpoint.tensor(Qwen2TensorNames.EMBED_TOKENS));
        this.lmHead = config.tieWordEmbeddings() && !checkpoint.has(Qwen2TensorNames.LM_HEAD)
                ? embedding : backend.upload(checkpoint.tensor(Qwen2TensorNames.LM_HEAD));
        this.finalNorm = backend.upload(checkpoint.tensor(Qwen2TensorNames.FINAL_NORM));
        this.layers = new Layer[config.numLayers()];
        for (int i = 0; i < layers.length; i++) {
            layers[i] = new Layer(
                    backend.upload(tensor(i, Qwen2TensorNames.INPUT_NORM)),
                    backend.uploadStacked("layer " + i + " qkv", List.of(tensor(i, Qwen2TensorNames.Q_WEIGHT),
                            tensor(i, Qwen2TensorNames.K_WEIGHT), tensor(i, Qwen2TensorNames.V_WEIGHT))),
                    backend.uploadStacked("layer " + i + " qkv bias", List.of(tensor(i, Qwen2TensorNames.Q_BIAS),
                            tensor(i, Qwen2TensorNames.K_BIAS), tensor(i, Qwen2TensorNames.V_BIAS))),
                    backend.upload(tensor(i, Qwen2TensorNames.O_WEIGHT)),
                    backend.upload(tensor(i, Qwen2TensorNames.POST_ATTENTION_NORM)),
                    backend.uploadStacked("layer " + i + " gate_up", List.of(tensor(i, Qwen2TensorNames.GATE_WEIGHT),
                            tensor(i, Qwen2TensorNames.UP_WEIGHT))),
                    backend.upload(tensor(i, Qwen2TensorNames.DOWN_WEIGHT)));
        }
        this.act = Activations.allocate(backend, Activations.Shape.of(config, options.maxPrefillChunk()));
        attention.reserve(act.maxTokens());
    }

    /** Loads and validates a Hugging Face model directory; {@code options.dca()} false drops DCA (--no-dca). */
    public static Qwen2Model load(Path modelDir, EngineOptions options) {
        return load(modelDir, options, null);
    }

    /**
     * Like {@link #load(Path, EngineOptions)}, with sparse budgets given directly (calibration tries many) instead
     * of read from {@code options.sparseConfig()} or the model directory.
     *
     * @throws dev.longctx.engine.backend.BackendUnavailableException when {@code options.device()} cannot run here
     */
    public static Qwen2Model load(Path modelDir, EngineOptions options, SparseAttentionConfig sparseOverride) {
        ModelConfig config = ModelConfigLoader.load(modelDir);
        if (!options.dca()) config = config.withoutDca();
        GenerationConfig generation = GenerationConfigLoader.load(modelDir);
        SparseAttentionConfig sparse = sparseOverride != null ? sparseOverride : sparseConfig(modelDir, options, config);
        Checkpoint checkpoint = Checkpoint.open(modelDir);
        Backend backend = null;
        try {
            CheckpointValidator.validate(config, checkpoint);  // a broken checkpoint fails before the device starts
            CpuAttention.checkBlockSize(AttentionGeometry.of(config), options.kvBlockSize());
            Backends.Choice choice = Backends.open(options);
            backend = choice.backend();
            if (choice.note() != null) System.err.println("longctx: " + choice.note());
        } catch (RuntimeException e) {
            checkpoint.close();
            throw e;
        }
        return load(config, generation, checkpoint, sparse, options, backend);
    }

    /**
     * A model from any weight source (a checkpoint, or {@link dev.longctx.engine.weights.RandomWeights} for benchmarks)
     * on a backend the caller opened. The model owns both from here: {@link #close()} closes them, and so does a
     * failure to load.
     */
    public static Qwen2Model load(ModelConfig config, GenerationConfig generation, WeightSource weights,
                                  SparseAttentionConfig sparse, EngineOptions options, Backend backend) {
        try {
            CheckpointValidator.validate(config, weights);
            AttentionGeometry geometry = AttentionGeometry.of(config);
            CpuAttention.checkBlockSize(geometry, options.kvBlockSize());
            if (sparse != null && !backend.sparsePrefill()) {
                System.err.println("longctx: the " + backend.name() + " backend has no sparse prefill yet: every prompt "
                        + "prefills densely (the sparse budgets are not used)");
                sparse = null;
            }
            return new Qwen2Model(options, config, generation, weights, backend, geometry, sparse);
        } catch (RuntimeException e) {
            backend.close();
            weights.close();
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

    public ModelConfig config() { return config; }

    public GenerationConfig generationConfig() { return generationConfig; }

    public EngineOptions options() { return options; }

    /** Total wall time of attention calls since the model was loaded, in seconds. */
    public double attentionSeconds() { return attentionNanos.sum() / 1e9; }

    public AttentionGeometry geometry() { return geometry; }

    /** The model's one attention implementation. */
    public Attention attention() { return attention; }

    public Backend backend() { return backend; }

    /** Most tokens one {@link #forward} step may hold: the activations were allocated for this many. */
    public int maxTokensPerStep() { return act.maxTokens(); }

    /** One matrix product of the forward pass on the model's own weight and buffers, for up to maxRows rows. */
    public record Gemm(String name, Weight weight, DeviceBuffer input, DeviceBuffer output, int maxRows) {}

    /**
     * The matrix products of a step: layer {@code layer}'s four (qkv, o, gate_up, down) and the lm_head, each as the
     * forward pass calls it. {@code bench prefill} times them alone, on the activations a prefill left behind, to set
     * the GEMM part of a TTFT against the GEMMs by themselves. Running one overwrites its output buffer.
     */
    public List<Gemm> gemms(int layer) {
        Layer w = layers[layer];
        int t = act.maxTokens();
        return List.of(new Gemm("qkv", w.qkv(), act.h(), act.qkv(), t), new Gemm("o", w.o(), act.attn(), act.proj(), t),
                new Gemm("gate_up", w.gateUp(), act.h(), act.gateUp(), t), new Gemm("down", w.down(), act.act(), act.proj(), t),
                new Gemm("lm_head", lmHead, act.lastNormed(), act.logits(), act.logitRows()));
    }

    /** The shape of a KV cache of {@code blocks} blocks for this model on its backend. */
    public KvCacheSpec kvCacheSpec(int blocks, int blockSize) {
        return new KvCacheSpec(config.numLayers(), blocks, blockSize, config.numKvHeads(), config.headDim(), backend.kvDtype());
    }

    /** A KV cache of {@code blocks} blocks shaped for this model, owned by its backend. */
    public KvCache newKvCache(int blocks, int blockSize) {
        return backend.newKvCache(kvCacheSpec(blocks, blockSize));
    }

    /** A builder for one step's metadata under this model's block size and DCA temperature rule. */
    public StepMetadata.Builder newStep(RecallRecorder recorder) {
        return new StepMetadata.Builder(options.kvBlockSize(), options.dcaScale(), recorder);
    }

    /**
     * Whether a request's prefill runs sparse: sparse allowed (the request's choice, else the engine's), budgets
     * present, and the prompt longer than the threshold. Decode is always dense.
     */
    public boolean sparsePrefill(Boolean requested, long promptLength) {
        boolean allowed = requested != null ? requested : options.sparse();
        return allowed && sparseConfig != null && promptLength > options.sparseThreshold();
    }

    /**
     * What names this model's KV blocks (ALGORITHMS.md §5): everything that changes K/V contents, published by the
     * serving instance so that anyone can name a prompt's blocks from its token ids ({@link PrefixFacts#salt}). Its
     * sparse decision is {@link #sparsePrefill}'s.
     *
     * @param modelIdentity the checkpoint's name and content fingerprint, the same on every host (not a path)
     */
    public PrefixFacts prefixFacts(String modelIdentity, int blockSize) {
        DcaConfig dca = config.dca();
        KvCacheSpec block = kvCacheSpec(1, blockSize);
        return new PrefixFacts(modelIdentity, block.dtypeName(),
                dca == null ? PrefixFacts.dcaField(null, null, null)
                        : PrefixFacts.dcaField(dca.chunkSize(), dca.localSize(), dca.originalMaxPositionEmbeddings()),
                options.dcaScale().id(), dca == null ? 0 : dca.originalMaxPositionEmbeddings(), blockSize,
                sparseIdentity, options.sparse(), options.sparseThreshold(), block.bytesPerBlock());
    }

    /**
     * One forward step over a batch of sequences (their K/V go into {@code cache} through the step's slots).
     *
     * @return one vocabulary-sized logits row per entry of {@code step.logitsRows()}, in that order
     */
    public float[][] forward(StepMetadata step, KvCache cache) {
        return forward(step, cache, null).logits();
    }

    /**
     * One forward step over a batch of sequences (their K/V go into {@code cache} through the step's slots). Reads
     * top to bottom on the backend's preallocated buffers; the only host data are the step's metadata going in and
     * the wanted logits, or the tokens sampled on the device, coming out.
     *
     * @param sampling null, or one entry per entry of {@code step.logitsRows()}: a row whose entry is not null is
     *                 sampled on the device (the backend must {@link Backend#canSample}) and comes back as its token
     * @return per entry of {@code step.logitsRows()}, in that order, its logits or its sampled token
     */
    public synchronized StepResult forward(StepMetadata step, KvCache cache, List<DeviceSampling> sampling) {
        int n = step.numTokens();
        if (n > act.maxTokens()) {
            throw new IllegalArgumentException("a step of " + n + " tokens is more than the " + act.maxTokens()
                    + " the engine was sized for (max prefill chunk)");
        }
        if (sampling != null && sampling.size() != step.logitsRows().length) {
            throw new IllegalArgumentException(sampling.size() + " samplers for " + step.logitsRows().length + " logits rows");
        }
        double eps = config.rmsNormEps();
        try (AttentionStep attn = attention.begin(step, cache)) {                   // the step's metadata uploaded
            backend.embed(embedding, step.tokenIds(), n, act.x());                   // x [n, d]
            // The layers launch the same work for every step of one shape (a decode batch): a GPU records them once
            // and replays the recording as one launch.
            backend.replay(attn.replayShape(), () -> {
                for (int l = 0; l < layers.length; l++) {
                    Layer w = layers[l];
                    // Attention block: x += o_proj(attn(rmsnorm(x))). The previous layer's MLP output (in proj) joins
                    // the residual stream here, in the same pass as this norm.
                    backend.addRmsNorm(act.x(), l == 0 ? null : act.proj(), n, w.inputNorm(), eps, act.h());  // h [n, d]
                    backend.matmul(w.qkv(), act.h(), n, act.qkv());                      // qkv [n, qDim + 2·kvDim]
                    long t0 = System.nanoTime();
                    attn.forward(l, act.qkv(), w.qkvBias(), act.attn());                 // + bias, K/V into the cache; attn [n, qDim]
                    attentionNanos.add(System.nanoTime() - t0);
                    backend.matmul(w.o(), act.attn(), n, act.proj());                    // proj [n, d]

                    // MLP block: x += down(silu(gate(h)) * up(h)), h = rmsnorm(x), after x += proj
                    backend.addRmsNorm(act.x(), act.proj(), n, w.postNorm(), eps, act.h());
                    backend.matmul(w.gateUp(), act.h(), n, act.gateUp());                // gate | up [n, 2·inter]
                    backend.siluMul(act.gateUp(), n, act.act());                         // act [n, inter]
                    backend.matmul(w.down(), act.act(), n, act.proj());                  // joins x in the next norm
                }
                backend.add(act.x(), act.proj(), n);                                     // the last layer's MLP output
            });
        }
        return logits(step.logitsRows(), sampling);
    }

    /**
     * Final norm and lm_head for only the rows whose logits are wanted, in groups of the logits buffer's rows; then
     * each row's logits to the host, or its token sampled on the device.
     */
    private StepResult logits(int[] rows, List<DeviceSampling> sampling) {
        int vocab = config.vocabSize();
        float[][] out = new float[rows.length][];
        int[] tokens = new int[rows.length];
        for (int g = 0; g < rows.length; g += act.logitRows()) {
            int m = Math.min(act.logitRows(), rows.length - g);
            backend.gatherRows(act.x(), rows, g, m, act.last());                     // [m, d]
            backend.rmsNorm(act.last(), m, finalNorm, config.rmsNormEps(), act.lastNormed());
            backend.matmul(lmHead, act.lastNormed(), m, act.logits());               // [m, vocab]
            boolean anySampled = false;
            for (int i = 0; i < m; i++) {
                if (sampling != null && sampling.get(g + i) != null) {
                    anySampled = true;
                    continue;
                }
                out[g + i] = new float[vocab];
                backend.copyToHost(act.logits(), i, 1, out[g + i]);
            }
            if (anySampled) {
                // Rows going to the host were copied above: sampling may overwrite the logits.
                List<DeviceSampling> group = new java.util.ArrayList<>(m);
                for (int i = 0; i < m; i++) {
                    DeviceSampling d = sampling.get(g + i);
                    group.add(d != null ? d : DeviceSampling.GREEDY);
                }
                int[] ids = backend.sample(act.logits(), m, group, 0);
                System.arraycopy(ids, 0, tokens, g, m);
            }
        }
        return new StepResult(out, tokens);
    }

    @Override
    public void close() {
        backend.close();
        checkpoint.close();
    }
}
