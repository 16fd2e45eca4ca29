package dev.longctx.kvcache.index;

import static org.assertj.core.api.Assertions.assertThat;

import dev.longctx.common.kvindex.KvAck;
import dev.longctx.common.kvindex.KvEvent;
import dev.longctx.common.kvindex.KvEventBatch;
import dev.longctx.common.kvindex.KvSnapshot;
import dev.longctx.common.kvindex.PrefixLookup;
import dev.longctx.kvcache.redis.RealRedis;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

/** kv-cache-service over real HTTP against a real Redis (see {@link RealRedis} for which one). */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"longctx.kv-index.instance-timeout=1s", "longctx.kv-index.sweep-interval=200ms",
                "longctx.kv-index.lookup-batch=2"})
@AutoConfigureWebTestClient
class KvIndexTest {
    static final RealRedis REDIS = RealRedis.launch();

    @DynamicPropertySource
    static void redis(DynamicPropertyRegistry registry) {
        registry.add("spring.data.redis.host", REDIS::host);
        registry.add("spring.data.redis.port", REDIS::port);
    }

    @AfterAll
    static void stopRedis() { REDIS.close(); }

    @Autowired
    WebTestClient http;

    private KvAck post(KvEventBatch batch) {
        return http.post().uri("/internal/kv/events").bodyValue(batch).exchange()
                .expectStatus().isOk().expectBody(KvAck.class).returnResult().getResponseBody();
    }

    private KvAck snapshot(String id, String epoch, long seq, List<String> hashes) {
        return http.put().uri("/internal/kv/snapshot").bodyValue(new KvSnapshot(id, "http://" + id, epoch, seq, hashes))
                .exchange().expectStatus().isOk().expectBody(KvAck.class).returnResult().getResponseBody();
    }

    private Map<String, Integer> lookup(String... hashes) {
        PrefixLookup.Result result = http.post().uri("/internal/kv/lookup").bodyValue(new PrefixLookup(List.of(hashes), 16))
                .exchange().expectStatus().isOk().expectBody(PrefixLookup.Result.class).returnResult().getResponseBody();
        return result.instances().stream().collect(java.util.stream.Collectors.toMap(
                PrefixLookup.InstancePrefix::instanceId, PrefixLookup.InstancePrefix::blocks));
    }

    private static KvEventBatch events(String id, String epoch, long lastSeq, KvEvent... events) {
        return new KvEventBatch(id, "http://" + id, epoch, lastSeq, List.of(events));
    }

    private static KvEvent stored(long seq, String... hashes) {
        return new KvEvent(seq, KvEvent.Type.STORED, List.of(hashes), System.currentTimeMillis());
    }

    @Test
    void eventsBuildTheIndexAndLookupGivesTheLongestPrefixPerInstance() {
        // an instance the index has never seen is asked for a snapshot first
        assertThat(post(events("a", "e1", 1, stored(1, "a1")))).isEqualTo(new KvAck(true));
        assertThat(snapshot("a", "e1", 0, List.of())).isEqualTo(new KvAck(false));
        assertThat(snapshot("b", "e1", 0, List.of())).isEqualTo(new KvAck(false));

        assertThat(post(events("a", "e1", 2, stored(1, "h1", "h2"), stored(2, "h3")))).isEqualTo(new KvAck(false));
        assertThat(post(events("b", "e1", 1, stored(1, "h1", "x2")))).isEqualTo(new KvAck(false));

        assertThat(lookup("h1", "h2", "h3", "h4")).isEqualTo(Map.of("a", 3, "b", 1));
        assertThat(lookup("h9", "h1")).isEmpty();                      // stops at the first block nobody holds

        assertThat(post(events("a", "e1", 3, new KvEvent(3, KvEvent.Type.REMOVED, List.of("h2"), 0))))
                .isEqualTo(new KvAck(false));
        assertThat(lookup("h1", "h2", "h3")).isEqualTo(Map.of("a", 1, "b", 1));

        // a gap (seq 5 after 3) or a new epoch (a restart) asks for a resync
        assertThat(post(events("a", "e1", 5, stored(5, "h7")))).isEqualTo(new KvAck(true));
        assertThat(post(events("a", "e2", 0))).isEqualTo(new KvAck(true));
        // the restarted instance's snapshot replaces its stale entries
        assertThat(snapshot("a", "e2", 0, List.of("z1"))).isEqualTo(new KvAck(false));
        assertThat(lookup("h1", "h2")).isEqualTo(Map.of("b", 1));
        assertThat(lookup("z1")).isEqualTo(Map.of("a", 1));
        assertThat(post(events("a", "e2", 0))).isEqualTo(new KvAck(false));   // a heartbeat that follows on

        // cleared drops everything the instance held
        assertThat(post(events("b", "e1", 2, new KvEvent(2, KvEvent.Type.CLEARED, List.of(), 0)))).isEqualTo(new KvAck(false));
        assertThat(lookup("h1")).isEmpty();

        String metrics = http.get().uri("/actuator/prometheus").exchange().expectStatus().isOk()
                .expectBody(String.class).returnResult().getResponseBody();
        assertThat(metrics).contains("kvcache_lookups_total", "kvcache_lookup_hit_tokens_total", "kvcache_resyncs_total",
                "kvcache_event_lag_seconds_count", "kvcache_index_entries");
    }

    @Test
    void anInstanceThatStopsSendingHeartbeatsIsPurged() throws InterruptedException {
        snapshot("dying", "e1", 0, List.of("d1", "d2"));
        assertThat(lookup("d1", "d2")).isEqualTo(Map.of("dying", 2));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!lookup("d1").isEmpty() && System.nanoTime() < deadline) Thread.sleep(100);
        assertThat(lookup("d1", "d2")).isEmpty();
        assertThat(post(events("dying", "e1", 0))).as("a purged instance must resync").isEqualTo(new KvAck(true));
    }

    @Test
    void redisDownAnswers503AndComingBackEmptyAsksForResync() {
        snapshot("c", "e1", 0, List.of("c1"));
        REDIS.stop();
        try {
            http.post().uri("/internal/kv/lookup").bodyValue(new PrefixLookup(List.of("c1"), 16)).exchange()
                    .expectStatus().isEqualTo(503);
        } finally {
            REDIS.start();
        }
        // the data went with Redis: the instance's next heartbeat is told to resync, then the index has it again
        KvAck ack = null;
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            var response = http.post().uri("/internal/kv/events").bodyValue(events("c", "e1", 0)).exchange()
                    .returnResult(KvAck.class);
            if (response.getStatus().is2xxSuccessful()) {
                ack = response.getResponseBody().blockFirst();
                break;
            }
        }
        assertThat(ack).isEqualTo(new KvAck(true));
        snapshot("c", "e1", 0, List.of("c1"));
        assertThat(lookup("c1")).isEqualTo(Map.of("c", 1));
    }
}
