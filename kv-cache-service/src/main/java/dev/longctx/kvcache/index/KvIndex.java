package dev.longctx.kvcache.index;

import dev.longctx.common.kvindex.KvAck;
import dev.longctx.common.kvindex.KvEvent;
import dev.longctx.common.kvindex.KvEventBatch;
import dev.longctx.common.kvindex.KvSnapshot;
import dev.longctx.common.kvindex.PrefixLookup;
import java.time.Clock;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.data.domain.Range;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The cluster's block index in Redis. Key layout ({@code P} = {@code longctx.kv-index.key-prefix}):
 * <pre>
 *   P:block:&lt;hash&gt;          SET of instance ids holding the block; TTL block-ttl, renewed on every store
 *   P:inst:&lt;id&gt;:blocks      SET of block hashes the instance holds (to purge it and to diff a resync)
 *   P:inst:&lt;id&gt;             HASH url, epoch, seq (last applied event), seen (ms of last event or heartbeat)
 *   P:instances              ZSET instance id scored by its last-seen ms (what the sweeper scans)
 * </pre>
 * Commands of one operation are issued together on Lettuce's shared connection, which pipelines them. An
 * instance sends one batch at a time, so its events apply in order; anything the index cannot vouch for (a
 * sequence gap, a new epoch, a record lost with Redis) is answered with {@code resync} and fixed by a snapshot.
 */
@Component
public class KvIndex {
    private final ReactiveStringRedisTemplate redis;
    private final KvIndexProperties properties;
    private final KvIndexMetrics metrics;
    private final Clock clock;

    public KvIndex(ReactiveStringRedisTemplate redis, KvIndexProperties properties, KvIndexMetrics metrics) {
        this.redis = redis;
        this.properties = properties;
        this.metrics = metrics;
        this.clock = Clock.systemUTC();
    }

    private String blockKey(String hash) { return properties.keyPrefix() + ":block:" + hash; }
    private String instanceKey(String id) { return properties.keyPrefix() + ":inst:" + id; }
    private String instanceBlocksKey(String id) { return properties.keyPrefix() + ":inst:" + id + ":blocks"; }
    private String instancesKey() { return properties.keyPrefix() + ":instances"; }

    /** Applies an instance's next events (none: a heartbeat), or asks for a resync if they do not follow on. */
    public Mono<KvAck> apply(KvEventBatch batch) {
        return redis.<String, String>opsForHash().entries(instanceKey(batch.instanceId())).collectMap(Map.Entry::getKey, Map.Entry::getValue)
                .flatMap(record -> {
                    long seq = parseLong(record.get("seq"), -1);
                    boolean sameRun = batch.epoch() != null && batch.epoch().equals(record.get("epoch"));
                    long first = batch.events().isEmpty() ? batch.lastSeq() + 1 : batch.events().getFirst().seq();
                    if (!sameRun || seq != first - 1) {
                        metrics.resyncRequested();
                        return Mono.just(new KvAck(true));
                    }
                    long now = clock.millis();
                    return Flux.fromIterable(batch.events())
                            .concatMap(event -> applyEvent(batch.instanceId(), event).doOnSuccess(v -> metrics.event(event, now)))
                            .then(touch(batch.instanceId(), batch.url(), batch.epoch(), batch.lastSeq()))
                            .thenReturn(new KvAck(false));
                });
    }

    private Mono<Void> applyEvent(String instance, KvEvent event) {
        return switch (event.type()) {
            case STORED -> Flux.fromIterable(event.hashes()).flatMap(h -> store(instance, h)).then();
            case REMOVED -> Flux.fromIterable(event.hashes()).flatMap(h -> Mono.when(
                    redis.opsForSet().remove(blockKey(h), instance),
                    redis.opsForSet().remove(instanceBlocksKey(instance), h))).then();
            case CLEARED -> dropBlocks(instance);
        };
    }

    private Mono<Void> store(String instance, String hash) {
        return Mono.when(
                redis.opsForSet().add(blockKey(hash), instance),
                redis.expire(blockKey(hash), properties.blockTtl()),
                redis.opsForSet().add(instanceBlocksKey(instance), hash));
    }

    /** Replaces what the index holds for an instance by its snapshot and continues its sequence from there. */
    public Mono<KvAck> resync(KvSnapshot snapshot) {
        String id = snapshot.instanceId();
        Set<String> now = new HashSet<>(snapshot.hashes());
        return redis.opsForSet().members(instanceBlocksKey(id))
                .filter(h -> !now.contains(h))
                .flatMap(stale -> Mono.when(redis.opsForSet().remove(blockKey(stale), id),
                        redis.opsForSet().remove(instanceBlocksKey(id), stale)))
                .thenMany(Flux.fromIterable(now).flatMap(h -> store(id, h)))
                .then(touch(id, snapshot.url(), snapshot.epoch(), snapshot.seq()))
                .doOnSuccess(v -> metrics.resynced())
                .thenReturn(new KvAck(false));
    }

    private Mono<Void> touch(String id, String url, String epoch, long seq) {
        long now = clock.millis();
        Map<String, String> record = new LinkedHashMap<>();
        record.put("url", url == null ? "" : url);
        record.put("epoch", epoch == null ? "" : epoch);
        record.put("seq", Long.toString(seq));
        record.put("seen", Long.toString(now));
        return Mono.when(redis.opsForHash().putAll(instanceKey(id), record),
                redis.opsForZSet().add(instancesKey(), id, now));
    }

    /**
     * For each instance holding the first block, how many leading blocks of the chain it holds. Names are
     * fetched {@code lookup-batch} at a time, pipelined, and the walk stops once no instance is still matching.
     */
    public Mono<PrefixLookup.Result> lookup(PrefixLookup lookup) {
        List<String> hashes = lookup.hashes() == null ? List.of() : lookup.hashes();
        Map<String, Integer> prefix = new LinkedHashMap<>();
        Set<String> going = new HashSet<>();
        int batch = properties.lookupBatch();
        return Flux.range(0, (hashes.size() + batch - 1) / batch)
                .concatMap(b -> Flux.fromIterable(hashes.subList(b * batch, Math.min(hashes.size(), (b + 1) * batch)))
                        .flatMapSequential(h -> redis.opsForSet().members(blockKey(h)).collectList())
                        .collectList())
                .takeUntil(holdersPerBlock -> !advance(holdersPerBlock, prefix, going))
                .then(Mono.defer(() -> urls(prefix)))
                .doOnNext(result -> metrics.lookup(result, lookup.blockSize()));
    }

    /** Extends every instance's run by the next blocks; false once no instance is still matching. */
    private static boolean advance(List<List<String>> holdersPerBlock, Map<String, Integer> prefix, Set<String> going) {
        for (List<String> holders : holdersPerBlock) {
            if (prefix.isEmpty()) {
                holders.forEach(id -> prefix.put(id, 0));
                going.addAll(holders);
            }
            going.retainAll(holders);
            if (going.isEmpty()) return false;
            going.forEach(id -> prefix.merge(id, 1, Integer::sum));
        }
        return true;
    }

    private Mono<PrefixLookup.Result> urls(Map<String, Integer> prefix) {
        return Flux.fromIterable(prefix.entrySet())
                .filter(e -> e.getValue() > 0)
                .flatMapSequential(e -> redis.<String, String>opsForHash().get(instanceKey(e.getKey()), "url")
                        .defaultIfEmpty("")
                        .map(url -> new PrefixLookup.InstancePrefix(e.getKey(), url, e.getValue())))
                .sort((a, b) -> Integer.compare(b.blocks(), a.blocks()))
                .collectList()
                .map(PrefixLookup.Result::new);
    }

    /** Removes every instance not seen for {@code instance-timeout}, with all its entries. */
    public Mono<Long> purgeDead() {
        long cutoff = clock.millis() - properties.instanceTimeout().toMillis();
        return redis.opsForZSet().rangeByScore(instancesKey(), Range.closed(0.0, (double) cutoff))
                .concatMap(id -> purge(id).thenReturn(id))
                .count()
                .doOnNext(metrics::purged);
    }

    /** Forgets an instance and everything it held. */
    public Mono<Void> purge(String id) {
        return dropBlocks(id)
                .then(Mono.when(redis.delete(instanceKey(id)), redis.opsForZSet().remove(instancesKey(), id)));
    }

    private Mono<Void> dropBlocks(String id) {
        return redis.opsForSet().members(instanceBlocksKey(id))
                .flatMap(h -> redis.opsForSet().remove(blockKey(h), id))
                .then(redis.delete(instanceBlocksKey(id)))
                .then();
    }

    /** Instance ids with how many blocks each holds (the index-size gauge and GET /internal/kv/instances). */
    public Mono<Map<String, Long>> sizes() {
        return redis.opsForZSet().range(instancesKey(), Range.unbounded())
                .flatMapSequential(id -> redis.opsForSet().size(instanceBlocksKey(id)).map(n -> Map.entry(id, n)))
                .collectMap(Map.Entry::getKey, Map.Entry::getValue, LinkedHashMap::new);
    }

    private static long parseLong(String s, long fallback) {
        try {
            return s == null ? fallback : Long.parseLong(s);
        } catch (NumberFormatException e) {
            return fallback;
        }
    }
}
