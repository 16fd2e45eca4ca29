package dev.longctx.engine.serving;

import dev.longctx.engine.EngineOptions;
import dev.longctx.engine.generate.StopChecker;
import dev.longctx.engine.kv.BlockAllocator;
import dev.longctx.engine.kv.BlockManager;
import dev.longctx.engine.kv.KvBlockIo;
import dev.longctx.engine.kv.KvCache;
import dev.longctx.engine.kv.KvCacheBlockIo;
import dev.longctx.engine.attention.SparseAttentionConfig;
import dev.longctx.engine.model.DcaConfig;
import dev.longctx.engine.model.ModelConfig;
import dev.longctx.engine.model.Qwen2Model;
import dev.longctx.engine.sampling.Sampler;
import dev.longctx.engine.scheduler.LlmEngine;
import dev.longctx.engine.scheduler.SchedulerConfig;
import dev.longctx.engine.tokenizer.HfTokenizer;
import dev.longctx.engine.tokenizer.TextTokenizer;
import dev.longctx.common.prefix.PrefixFacts;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.function.Function;

/** Builds the serving engine for a model directory: model, KV cache, block manager, scheduler and loop. */
public final class Engines {

    private Engines() {}

    public static InferenceEngine open(Path modelDir, EngineOptions options, ServingConfig serving) {
        Qwen2Model model = Qwen2Model.load(modelDir, options);
        TextTokenizer tokenizer = null;
        try {
            tokenizer = HfTokenizer.load(modelDir);
            ModelConfig config = model.config();
            KvCache probe = model.newKvCache(1, options.kvBlockSize());
            BlockAllocator allocator = BlockAllocator.forBudget(options.kvCacheBytes(), options.kvCacheBlocks(),
                    probe.bytesPerBlock());
            KvCache cache = model.newKvCache(allocator.numBlocks(), options.kvBlockSize());
            BlockManager blocks = new BlockManager(allocator, prefixFacts(modelDir, options, config, probe));
            int maxModelLen = serving.maxModelLen() > 0 ? serving.maxModelLen() : config.maxPositionEmbeddings();
            SchedulerConfig scheduler = new SchedulerConfig(options.maxPrefillChunk(), serving.maxNumSeqs(),
                    serving.maxWaiting(), maxModelLen);
            LlmEngine.Config engineConfig = new LlmEngine.Config(scheduler,
                    StopChecker.eosIds(config, model.generationConfig()), config.vocabSize());
            LlmEngine engine = LlmEngine.start(engineConfig, blocks, new Qwen2ModelRunner(model, cache),
                    Sampler::sample, new DetokenizingOutputDecoder(tokenizer));
            TextTokenizer owned = tokenizer;
            return new ClosingEngine(engine, blocks.facts(), new KvCacheBlockIo(cache), () -> {
                owned.close();
                model.close();
            });
        } catch (RuntimeException e) {
            if (tokenizer != null) tokenizer.close();
            model.close();
            throw e;
        }
    }

    /**
     * What names this engine's KV blocks (ALGORITHMS.md §5). Cached keys hold positions p mod L and no scale
     * factor; today's engine applies s_f(T) of the request's length ({@code request} rule), so blocks of prompts
     * longer than P carry s_f(T) in their salt.
     */
    static PrefixFacts prefixFacts(Path modelDir, EngineOptions options, ModelConfig config, KvCache geometry) {
        DcaConfig dca = config.dca();
        String dcaField = dca == null ? PrefixFacts.dcaField(null, null, null)
                : PrefixFacts.dcaField(dca.chunkSize(), dca.localSize(), dca.originalMaxPositionEmbeddings());
        return new PrefixFacts(ModelFingerprint.of(modelDir), "fp32", dcaField, PrefixFacts.REQUEST_RULE,
                dca == null ? 0 : dca.originalMaxPositionEmbeddings(), options.kvBlockSize(),
                sparseIdentity(modelDir, options, config), options.sparse(), options.sparseThreshold(),
                geometry.bytesPerBlock());
    }

    /** SHA-256 hex of the sparse budgets' canonical JSON, found where {@code Qwen2Model.load} finds them; null if none. */
    private static String sparseIdentity(Path modelDir, EngineOptions options, ModelConfig config) {
        Path file = options.sparseConfig() != null ? options.sparseConfig()
                : modelDir.resolve(SparseAttentionConfig.FILE_NAME);
        if (!Files.isRegularFile(file)) return null;
        String json = SparseAttentionConfig.load(file, config.numLayers(), config.numHeads()).toJson();
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(json.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The engine plus what it must release when closed. */
    private record ClosingEngine(LlmEngine engine, PrefixFacts facts, KvBlockIo blockIo, Runnable onClose)
            implements InferenceEngine, PrefixCache {
        @Override
        public RequestHandle submit(EngineRequest request, OutputListener listener) {
            return engine.submit(request, listener);
        }

        @Override
        public EngineStats stats() { return engine.stats(); }

        @Override
        public int maxModelLen() { return engine.maxModelLen(); }

        @Override
        public Optional<PrefixCache> prefixCache() { return Optional.of(this); }

        @Override
        public Optional<EngineLoad> load() { return engine.load(); }

        @Override
        public <T> T withBlocks(Function<BlockManager, T> action) { return engine.withBlocks(action); }

        @Override
        public void close() {
            engine.close();
            onClose.run();
        }
    }
}
