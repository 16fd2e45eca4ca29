package dev.longctx.inferenceservice.kvshare;

import dev.longctx.common.prefix.BlockHash;
import dev.longctx.common.prefix.PrefixFacts;
import dev.longctx.common.wire.GenerateRequest;
import dev.longctx.engine.serving.PrefixCache;
import dev.longctx.inferenceservice.engine.EngineHost;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The receiving side of a KV pull. When the gateway names an instance that holds more of a prompt's prefix than
 * this one, and moving those blocks ({@code bytes ÷ link-bandwidth}) is expected to take less time than
 * prefilling their tokens at this instance's measured prefill speed ({@link PrefillRate}; the setting
 * {@code prefill-tokens-per-second} until measured), the blocks are streamed from the holder
 * and written into this cache before the request is queued; the scheduler then finds them as a cached prefix.
 * Each block is checked (name in chain order, checksum) before it is named here. Any failure stops the pull:
 * what arrived intact stays, the rest is recomputed. A pull never fails the request.
 */
@Component
public class KvPuller {
    private static final Logger log = LoggerFactory.getLogger(KvPuller.class);

    /** Pull or not, and why (the {@code outcome} label of longctx_kv_pulls_total). */
    enum Outcome { PULLED, LOCAL, COST, FAILED }

    private final EngineHost host;
    private final KvShareProperties properties;
    private final PrefillRate prefillRate;
    private final InstanceIdentity identity;
    private final WebClient web;
    private final Map<Outcome, Counter> pulls;
    private final Counter pulledBlocks;

    KvPuller(EngineHost host, KvShareProperties properties, PrefillRate prefillRate, InstanceIdentity identity,
             MeterRegistry meters) {
        this.host = host;
        this.properties = properties;
        this.prefillRate = prefillRate;
        this.identity = identity;
        this.web = WebClient.builder().codecs(c -> c.defaultCodecs().maxInMemorySize(1 << 20)).build();
        this.pulls = new java.util.EnumMap<>(Outcome.class);
        for (Outcome o : Outcome.values()) {
            pulls.put(o, Counter.builder("longctx.kv.pulls").tag("outcome", o.name().toLowerCase())
                    .description("KV pull decisions for requests that named a holder").register(meters));
        }
        this.pulledBlocks = Counter.builder("longctx.kv.pulled.blocks").description("KV blocks pulled from other instances")
                .register(meters);
    }

    /** Pulls the hinted prefix if that beats recomputing it; completes (never errors) when done or skipped. */
    public Mono<Void> pullIfCheaper(GenerateRequest request) {
        GenerateRequest.KvPull hint = request.kvPull();
        if (hint == null || !properties.pull() || hint.source() == null || hint.blocks() <= 0
                || hint.source().equals(identity.url()) || request.promptTokenIds() == null) {
            return Mono.empty();
        }
        return Mono.defer(() -> {
                    PrefixCache cache = host.engine().prefixCache().orElse(null);
                    if (cache == null) return Mono.empty();
                    return plan(cache, request, hint).flatMap(plan -> pull(cache, plan));
                })
                .subscribeOn(Schedulers.boundedElastic())
                .timeout(properties.pullTimeout())
                .onErrorResume(e -> {
                    pulls.get(Outcome.FAILED).increment();
                    log.warn("KV pull for {} from {} stopped; the rest is recomputed: {}", request.requestId(),
                            hint.source(), e.toString());
                    return Mono.empty();
                });
    }

    /** The blocks [from, to) of {@code names} to fetch from {@code source}. */
    record Plan(String requestId, URI source, List<BlockHash> names, int from, int to) {}

    private Mono<Plan> plan(PrefixCache cache, GenerateRequest request, GenerateRequest.KvPull hint) {
        PrefixFacts facts = cache.facts();
        List<Integer> prompt = request.promptTokenIds();
        List<BlockHash> names = facts.blockNames(prompt, request.sparse(), null);
        // the scheduler always computes the last prompt token, so a block holding it is never used from cache
        int to = Math.min(Math.min(hint.blocks(), names.size()), (prompt.size() - 1) / facts.blockSize());
        int from = cache.withBlocks(blocks -> blocks.cachedPrefixLength(names));
        if (to <= from) {
            pulls.get(Outcome.LOCAL).increment();
            return Mono.empty();
        }
        PullCost cost = PullCost.of(to - from, facts, properties.linkBandwidth().toBytes(), prefillRate.current());
        log.debug("{}: KV pull from {} of {}", request.requestId(), hint.source(), cost);
        if (!cost.pullIsCheaper()) {
            pulls.get(Outcome.COST).increment();
            return Mono.empty();
        }
        return Mono.just(new Plan(request.requestId(), URI.create(hint.source()), names, from, to));
    }

    private Mono<Void> pull(PrefixCache cache, Plan plan) {
        var io = cache.blockIo();
        KvBlockStream.Reader reader = new KvBlockStream.Reader(io.blockBytes());
        AtomicInteger next = new AtomicInteger(plan.from());
        long start = System.nanoTime();
        return web.post()
                .uri(plan.source().resolve("/internal/kv/blocks"))
                .contentType(MediaType.APPLICATION_JSON)
                .accept(MediaType.APPLICATION_OCTET_STREAM)
                .bodyValue(Map.of("hashes", plan.names().subList(plan.from(), plan.to()).stream().map(BlockHash::hex).toList()))
                .retrieve()
                .bodyToFlux(DataBuffer.class)
                .publishOn(Schedulers.boundedElastic())
                .concatMap(chunk -> {
                    try {
                        java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate(chunk.readableByteCount());
                        chunk.toByteBuffer(bytes);
                        for (KvBlockStream.Block block : reader.feed(bytes)) {
                            int index = next.get();
                            if (index >= plan.to() || !block.name().equals(plan.names().get(index))) {
                                return Flux.error(new IllegalStateException("the holder sent block " + block.name()
                                        + " where block " + index + " of the chain was expected"));
                            }
                            if (!store(cache, block)) return Flux.error(new IllegalStateException("no free KV block"));
                            next.incrementAndGet();
                            pulledBlocks.increment();
                        }
                        return Flux.empty();
                    } finally {
                        DataBufferUtils.release(chunk);
                    }
                })
                .then(Mono.fromRunnable(() -> {
                    pulls.get(Outcome.PULLED).increment();
                    log.info("{}: pulled {} of {} KV blocks from {} in {} ms", plan.requestId(), next.get() - plan.from(),
                            plan.to() - plan.from(), plan.source(), (System.nanoTime() - start) / 1_000_000);
                }));
    }

    /** Writes one checked block into a free block here and names it. */
    private static boolean store(PrefixCache cache, KvBlockStream.Block block) {
        int id = cache.withBlocks(blocks -> blocks.reserveForImport());
        if (id < 0) return false;
        try {
            cache.blockIo().write(id, block.payload());
        } catch (RuntimeException e) {
            cache.withBlocks(blocks -> {
                blocks.abortImport(id);
                return null;
            });
            throw e;
        }
        cache.withBlocks(blocks -> blocks.completeImport(id, block.name()));
        return true;
    }
}
