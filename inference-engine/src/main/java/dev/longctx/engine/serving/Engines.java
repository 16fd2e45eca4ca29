package dev.longctx.engine.serving;

import dev.longctx.engine.EngineOptions;
import dev.longctx.engine.backend.DeviceMemory;
import dev.longctx.engine.generate.StopChecker;
import dev.longctx.engine.kv.BlockAllocator;
import dev.longctx.engine.kv.BlockManager;
import dev.longctx.engine.kv.KvBlockIo;
import dev.longctx.engine.kv.KvCache;
import dev.longctx.engine.kv.KvCacheBlockIo;
import dev.longctx.engine.model.ModelConfig;
import dev.longctx.engine.model.Qwen2Model;
import dev.longctx.engine.sampling.Sampler;
import dev.longctx.engine.scheduler.LlmEngine;
import dev.longctx.engine.scheduler.SchedulerConfig;
import dev.longctx.engine.tokenizer.HfTokenizer;
import dev.longctx.engine.tokenizer.TextTokenizer;
import dev.longctx.common.prefix.PrefixFacts;
import java.nio.file.Path;
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
            BlockAllocator allocator = new BlockAllocator(kvCacheBlocks(options, model.backend().deviceMemory(),
                    model.kvCacheSpec(1, options.kvBlockSize()).bytesPerBlock()));
            KvCache cache = model.newKvCache(allocator.numBlocks(), options.kvBlockSize());
            BlockManager blocks = new BlockManager(allocator, model.prefixFacts(ModelFingerprint.of(modelDir), options.kvBlockSize()));
            int maxModelLen = serving.maxModelLen() > 0 ? serving.maxModelLen() : config.maxPositionEmbeddings();
            SchedulerConfig scheduler = new SchedulerConfig(options.maxPrefillChunk(), serving.maxNumSeqs(),
                    serving.maxWaiting(), maxModelLen);
            // Block names carry everything that changes K/V: the model, the cache dtype, DCA and its temperature
            // rule, sparse prefill (ALGORITHMS.md §5).
            LlmEngine.Config engineConfig = new LlmEngine.Config(scheduler,
                    StopChecker.eosIds(config, model.generationConfig()), config.vocabSize());
            LlmEngine engine = LlmEngine.start(engineConfig, blocks, new Qwen2ModelRunner(model, cache),
                    Sampler::sample, new DetokenizingOutputDecoder(tokenizer));
            TextTokenizer owned = tokenizer;
            return new ClosingEngine(engine, blocks.facts(), new KvCacheBlockIo(cache), () -> {
                owned.close();
                cache.close();
                model.close();
            });
        } catch (RuntimeException e) {
            if (tokenizer != null) tokenizer.close();
            model.close();
            throw e;
        }
    }

    /**
     * The KV cache's size in blocks: kv-cache-bytes when set, else kv-cache-blocks when set; else, on a backend with
     * device memory (called after the weights and activations are there), what {@code gpuMemoryUtilization} of it
     * leaves; else {@link EngineOptions#DEFAULT_KV_CACHE_BLOCKS}.
     *
     * @param memory the backend's device memory now, null for host memory
     */
    public static int kvCacheBlocks(EngineOptions options, DeviceMemory memory, long bytesPerBlock) {
        if (options.kvCacheBytes() > 0) return BlockAllocator.blocksForBudget(options.kvCacheBytes(), bytesPerBlock);
        if (options.kvCacheBlocks() > 0) return options.kvCacheBlocks();
        if (memory == null) return EngineOptions.DEFAULT_KV_CACHE_BLOCKS;
        int blocks = BlockAllocator.blocksForBudget(memory.kvCacheBudget(options.gpuMemoryUtilization()), bytesPerBlock);
        // A token's slot (block × block size + offset) is an int in the step metadata and on the device.
        return Math.min(blocks, Integer.MAX_VALUE / options.kvBlockSize() - 1);
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
        public java.util.OptionalLong kvCacheTokens() { return engine.kvCacheTokens(); }

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
