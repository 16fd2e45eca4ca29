/**
 * Request state, continuous batching and the engine loop: pure bookkeeping, testable with no model.
 *
 * <p>One step of {@link dev.longctx.engine.scheduler.LlmEngine}: {@code Scheduler.schedule()} picks decodes
 * and chunked-prefill pieces under {@code maxNumBatchedTokens} and returns a
 * {@link dev.longctx.engine.scheduler.ScheduledBatch}; the {@link dev.longctx.engine.scheduler.ModelRunner}
 * computes K/V for every chunk through its block table and returns logits for the chunks that need them (or the
 * tokens a GPU sampled for them); the loop samples with a {@link dev.longctx.engine.scheduler.TokenSampler},
 * detokenizes with an
 * {@link dev.longctx.engine.scheduler.OutputDecoder} and streams {@code GenerationOutput}s.
 *
 * <p>Wiring, for whoever builds the real engine:
 * <pre>{@code
 * BlockAllocator pool = new BlockAllocator(Engines.kvCacheBlocks(opts, model.backend().deviceMemory(),
 *         model.kvCacheSpec(1, opts.kvBlockSize()).bytesPerBlock()));   // a budget, or what a GPU has left
 * KvCache cache = model.newKvCache(pool.numBlocks(), opts.kvBlockSize());   // owned by the model's backend
 * BlockManager blocks = new BlockManager(pool, model.prefixFacts(identity, opts.kvBlockSize()));  // names blocks
 * var config = new LlmEngine.Config(new SchedulerConfig(opts.maxPrefillChunk(), maxSeqs, maxWaiting, maxModelLen),
 *         Set.copyOf(generationConfig.eosTokenIds()), config.vocabSize());
 * InferenceEngine engine = LlmEngine.start(config, blocks, new Qwen2ModelRunner(model, cache), Sampler::sample, tokenizerDecoder);
 * }</pre>
 */
package dev.longctx.engine.scheduler;
