package dev.longctx.kvcache.index;

import dev.longctx.common.kvindex.KvEvent;
import dev.longctx.common.kvindex.PrefixLookup;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.stereotype.Component;

/**
 * The index's metrics on /actuator/prometheus: {@code kvcache_index_entries} (instance × block entries) and
 * {@code kvcache_index_instances}, {@code kvcache_lookups_total}, {@code kvcache_lookup_hit_tokens_total} (the
 * longest cached prefix found, in tokens), {@code kvcache_events_total}, {@code kvcache_event_lag_seconds}
 * (from an instance seeing a change to the index applying it), {@code kvcache_resyncs_requested_total},
 * {@code kvcache_resyncs_total} and {@code kvcache_instances_purged_total}.
 */
@Component
public class KvIndexMetrics {
    private final AtomicLong entries = new AtomicLong();
    private final AtomicLong instances = new AtomicLong();
    private final Counter lookups;
    private final Counter hitTokens;
    private final Counter events;
    private final DistributionSummary eventLag;
    private final Counter resyncsRequested;
    private final Counter resyncs;
    private final Counter purged;

    public KvIndexMetrics(MeterRegistry registry) {
        Gauge.builder("kvcache.index.entries", entries, AtomicLong::get)
                .description("instance x block entries in the index").register(registry);
        Gauge.builder("kvcache.index.instances", instances, AtomicLong::get)
                .description("instances the index tracks").register(registry);
        lookups = Counter.builder("kvcache.lookups").description("prefix lookups answered").register(registry);
        hitTokens = Counter.builder("kvcache.lookup.hit.tokens")
                .description("tokens of the longest cached prefix found, summed over lookups").register(registry);
        events = Counter.builder("kvcache.events").description("stored/removed/cleared events applied").register(registry);
        eventLag = DistributionSummary.builder("kvcache.event.lag").baseUnit("seconds")
                .description("from an instance seeing a cache change to the index applying it")
                .publishPercentiles(0.5, 0.99).register(registry);
        resyncsRequested = Counter.builder("kvcache.resyncs.requested")
                .description("event batches answered with resync (gap, restart, lost record)").register(registry);
        resyncs = Counter.builder("kvcache.resyncs").description("full snapshots applied").register(registry);
        purged = Counter.builder("kvcache.instances.purged").description("dead instances removed").register(registry);
    }

    void event(KvEvent event, long nowMillis) {
        events.increment();
        if (event.atMillis() > 0) eventLag.record(Math.max(0, nowMillis - event.atMillis()) / 1000.0);
    }

    void lookup(PrefixLookup.Result result, int blockSize) {
        lookups.increment();
        int best = result.instances().stream().mapToInt(PrefixLookup.InstancePrefix::blocks).max().orElse(0);
        hitTokens.increment((double) best * Math.max(0, blockSize));
    }

    void resyncRequested() { resyncsRequested.increment(); }

    void resynced() { resyncs.increment(); }

    void purged(long count) { purged.increment(count); }

    void sizes(long instanceCount, long entryCount) {
        instances.set(instanceCount);
        entries.set(entryCount);
    }
}
