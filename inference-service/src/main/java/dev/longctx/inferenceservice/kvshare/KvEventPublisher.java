package dev.longctx.inferenceservice.kvshare;

import dev.longctx.common.kvindex.KvAck;
import dev.longctx.common.kvindex.KvEvent;
import dev.longctx.common.kvindex.KvEventBatch;
import dev.longctx.common.kvindex.KvSnapshot;
import dev.longctx.common.prefix.BlockHash;
import dev.longctx.engine.kv.BlockManager;
import dev.longctx.engine.serving.PrefixCache;
import dev.longctx.inferenceservice.engine.EngineHost;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * Publishes this instance's prefix-cache changes to kv-cache-service. The engine's block manager calls the
 * listener under the engine lock, which numbers each event and queues it (nothing else happens on the engine's
 * thread). A sender thread posts the queue every {@code flush-interval}, or a heartbeat after
 * {@code heartbeat-interval} of silence. Whenever the index asks for a resync (gap, restart, lost data) or cannot
 * be reached, the queue is dropped and the next round sends a snapshot of every cached name, taken under the
 * same lock as the numbering so that events after it continue exactly at its sequence number.
 */
@Component
class KvEventPublisher implements SmartLifecycle, BlockManager.Listener {
    private static final Logger log = LoggerFactory.getLogger(KvEventPublisher.class);
    private static final int MAX_QUEUED = 100_000;
    private static final int MAX_BATCH = 1_000;
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(5);

    private final EngineHost host;
    private final KvShareProperties properties;
    private final InstanceIdentity identity;
    private final WebClient web;
    private final ConcurrentLinkedQueue<KvEvent> queue = new ConcurrentLinkedQueue<>();
    private final AtomicLong seq = new AtomicLong();
    private volatile boolean needsResync = true;
    private volatile PrefixCache attached;
    private long lastSentNanos;
    private ScheduledExecutorService sender;

    KvEventPublisher(EngineHost host, KvShareProperties properties, InstanceIdentity identity) {
        this.host = host;
        this.properties = properties;
        this.identity = identity;
        this.web = properties.indexUrl() == null ? null
                : WebClient.builder().baseUrl(properties.indexUrl().toString())
                        .codecs(c -> c.defaultCodecs().maxInMemorySize(16 << 20)).build();
    }

    // ---- BlockManager.Listener: on the engine's thread, under its lock ----

    @Override
    public void stored(List<BlockHash> names) { enqueue(KvEvent.Type.STORED, names); }

    @Override
    public void removed(List<BlockHash> names) { enqueue(KvEvent.Type.REMOVED, names); }

    @Override
    public void cleared() { enqueue(KvEvent.Type.CLEARED, List.of()); }

    private void enqueue(KvEvent.Type type, List<BlockHash> names) {
        long n = seq.incrementAndGet();
        if (needsResync) return;                      // the snapshot to come covers it
        if (queue.size() >= MAX_QUEUED) {             // the index has been away long: resync instead of growing
            queue.clear();
            needsResync = true;
            return;
        }
        queue.add(new KvEvent(n, type, names.stream().map(BlockHash::hex).toList(), System.currentTimeMillis()));
    }

    // ---- the sender thread ----

    void round() {
        PrefixCache cache = attach();
        if (cache == null || identity.instanceId() == null) return;
        try {
            if (needsResync) {
                resync(cache);
            } else if (!queue.isEmpty() || System.nanoTime() - lastSentNanos > properties.heartbeatInterval().toNanos()) {
                send();
            }
        } catch (RuntimeException e) {
            if (!needsResync) log.warn("KV index at {} unreachable ({}); will resync", properties.indexUrl(), e.toString());
            needsResync = true;
            queue.clear();
        }
    }

    private PrefixCache attach() {
        if (attached == null && host.state() == EngineHost.State.READY) {
            attached = host.engine().prefixCache().orElse(null);
            if (attached != null) attached.withBlocks(blocks -> {
                blocks.setListener(this);
                return null;
            });
        }
        return attached;
    }

    private void resync(PrefixCache cache) {
        record Snapshot(long seq, List<String> hashes) {}
        Snapshot snapshot = cache.withBlocks(blocks -> {
            queue.clear();
            needsResync = false;                     // events numbered after this point are queued again
            return new Snapshot(seq.get(), blocks.cachedBlockNames().stream().map(BlockHash::hex).toList());
        });
        try {
            KvAck ack = web.put().uri("/internal/kv/snapshot")
                    .bodyValue(new KvSnapshot(identity.instanceId(), identity.url(), identity.epoch(), snapshot.seq(),
                            snapshot.hashes()))
                    .retrieve().bodyToMono(KvAck.class).block(CALL_TIMEOUT);
            lastSentNanos = System.nanoTime();
            if (ack != null && ack.resync()) needsResync = true;
            else log.info("KV index resynced: {} block(s) as of event {}", snapshot.hashes().size(), snapshot.seq());
        } catch (RuntimeException e) {
            needsResync = true;
            throw e;
        }
    }

    private void send() {
        List<KvEvent> batch = new ArrayList<>();
        for (KvEvent e; batch.size() < MAX_BATCH && (e = queue.poll()) != null; ) batch.add(e);
        long last = batch.isEmpty() ? seqForHeartbeat() : batch.getLast().seq();
        if (batch.isEmpty() && last < 0) return;     // events are numbered but not queued yet: next round
        KvAck ack = web.post().uri("/internal/kv/events")
                .bodyValue(new KvEventBatch(identity.instanceId(), identity.url(), identity.epoch(), last, batch))
                .retrieve().bodyToMono(KvAck.class).block(CALL_TIMEOUT);
        lastSentNanos = System.nanoTime();
        if (ack != null && ack.resync()) {
            log.info("KV index asked for a resync");
            needsResync = true;
            queue.clear();
        }
    }

    /** The last number sent, if every numbered event has been sent; else -1 (a heartbeat would claim a gap). */
    private long seqForHeartbeat() {
        return attached.withBlocks(blocks -> queue.isEmpty() ? seq.get() : -1L);
    }

    @Override
    public void start() {
        if (web == null) return;
        sender = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("kv-index-publisher").daemon().factory());
        long period = Math.max(10, properties.flushInterval().toMillis());
        sender.scheduleWithFixedDelay(this::round, period, period, TimeUnit.MILLISECONDS);
    }

    @Override
    public void stop() {
        if (sender != null) sender.shutdownNow();
        sender = null;
    }

    @Override
    public boolean isRunning() { return sender != null; }
}
