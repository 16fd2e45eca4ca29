package dev.longctx.gateway.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.longctx.common.prefix.BlockHash;
import dev.longctx.common.prefix.PrefixFacts;
import dev.longctx.common.wire.GenerateRequest;
import dev.longctx.gateway.config.GatewayProperties;
import dev.longctx.gateway.kvindex.KvIndexClient;
import dev.longctx.gateway.support.FakeBackend;
import dev.longctx.gateway.support.FakeKvIndex;
import dev.longctx.gateway.upstream.ErrorBodies;
import dev.longctx.gateway.upstream.InferenceClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.web.reactive.function.client.WebClient;
import tools.jackson.databind.json.JsonMapper;

/**
 * The KV-aware selector without processes: two or three backends and kv-cache-service are real HTTP stand-ins
 * ({@link FakeBackend}, {@link FakeKvIndex}); the selector names the prompt's blocks from the facts the backends
 * publish, asks the index, reads the loads and scores. Blocks are 16 tokens; prompts are 160 tokens (10 blocks).
 */
class KvAwareBackendSelectorTest {
    static final PrefixFacts FACTS = new PrefixFacts("test-model@0", "fp32", "none", PrefixFacts.POSITION_RULE, 0, 16,
            null, false, 1_000_000, 4096);
    static final List<Integer> PROMPT = IntStream.range(0, 160).map(i -> 100 + i).boxed().toList();

    static FakeBackend a;
    static FakeBackend b;
    static FakeBackend c;
    static FakeKvIndex index;

    SimpleMeterRegistry meters;
    BackendRegistry registry;
    BackendLoads loads;
    KvAwareBackendSelector selector;

    @BeforeAll
    static void start() {
        a = new FakeBackend(FACTS);
        b = new FakeBackend(FACTS);
        c = new FakeBackend(FACTS);
        index = new FakeKvIndex();
    }

    @AfterAll
    static void stop() {
        a.close();
        b.close();
        c.close();
        index.close();
    }

    @BeforeEach
    void reset() {
        index.clear();
        index.delay(Duration.ZERO);
        a.load(0);
        b.load(0);
        c.load(0);
    }

    /** A selector over backends a and b (static) with these routing settings on top of kv-aware defaults. */
    void selector(String... settings) {
        Map<String, String> map = new HashMap<>();
        map.put("longctx.gateway.backends[0]", a.uri().toString());
        map.put("longctx.gateway.backends[1]", b.uri().toString());
        map.put("longctx.gateway.routing.policy", "kv-aware");
        map.put("longctx.gateway.routing.kv-index-url", index.uri().toString());
        map.put("longctx.gateway.routing.lookup-timeout", "300ms");
        for (String setting : settings) {
            String[] kv = setting.split("=", 2);
            if (kv[1].isEmpty()) map.remove(kv[0]);
            else map.put(kv[0], kv[1]);
        }
        Binder binder = new Binder(new MapConfigurationPropertySource(map));
        GatewayProperties gateway = binder.bindOrCreate("longctx.gateway", GatewayProperties.class);
        RoutingProperties routing = binder.bindOrCreate("longctx.gateway.routing", RoutingProperties.class);
        meters = new SimpleMeterRegistry();
        WebClient web = WebClient.create();
        registry = new BackendRegistry(gateway, meters);
        loads = new BackendLoads(registry, new InferenceClient(web, new ErrorBodies(JsonMapper.builder().build()), gateway),
                routing);
        selector = new KvAwareBackendSelector(registry, loads, new KvIndexClient(web, routing, meters), routing, meters);
        poll();
    }

    void poll() {
        loads.pollAll().block(Duration.ofSeconds(5));
    }

    Backend backend(FakeBackend fake) {
        return registry.all().stream().filter(x -> x.uri().equals(fake.uri())).findFirst().orElseThrow();
    }

    /** {@code holder} holds the first {@code blocks} blocks of {@link #PROMPT}, as kv-cache-service knows. */
    static void holds(FakeBackend holder, int blocks) {
        index.hold(holder.uri().toString(), FACTS.blockNames(PROMPT, null, null).subList(0, blocks).stream()
                .map(BlockHash::hex).toList());
    }

    static GenerateRequest request(String id) {
        return new GenerateRequest(id, PROMPT, null, null);
    }

    BackendSelector.Route route(String session, Set<Backend> exclude) {
        GenerateRequest request = request("r");
        BackendSelector.Hints hints = selector.hints(request, session).block(Duration.ofSeconds(5));
        return selector.select(request, hints, exclude).orElseThrow();
    }

    BackendSelector.Route route() {
        return route(null, Set.of());
    }

    double decisions(String by) {
        return meters.get("longctx.routing.decisions").tag("by", by).counter().count();
    }

    @Test
    void cachedOverlapIsWeighedAgainstLoadWithTheConfiguredWeights() {
        holds(a, 8);           // 128 tokens cached on a
        a.load(100);
        selector();
        BackendSelector.Route cached = route();
        assertThat(cached.backend()).as("128 cached − 100 load beats 0").isEqualTo(backend(a));
        assertThat(cached.request().kvPull()).as("the holder itself needs no pull").isNull();
        assertThat(decisions("kv_overlap")).isEqualTo(1);

        selector("longctx.gateway.routing.load-weight=2");
        BackendSelector.Route heavy = route();
        assertThat(heavy.backend()).as("128 − 2 × 100 < 0").isEqualTo(backend(b));
        assertThat(heavy.request().kvPull()).as("b may pull a's 8 blocks")
                .isEqualTo(new GenerateRequest.KvPull(a.uri().toString(), 8));
        assertThat(decisions("load")).isEqualTo(1);
        assertThat(meters.get("longctx.routing.pull.hints").counter().count()).isEqualTo(1);

        selector("longctx.gateway.routing.overlap-weight=0");
        assertThat(route().backend()).as("overlap weighs nothing: least loaded").isEqualTo(backend(b));
    }

    @Test
    void tokensSentSinceTheLastReadingCountAsLoadSoABurstSpreads() {
        selector();
        Backend first = route().backend();
        assertThat(loads.load(first)).as("the 160 uncached prompt tokens").isEqualTo(160);
        Backend second = route().backend();
        assertThat(second).isNotEqualTo(first);

        holds(a, 8);
        a.load(0);
        b.load(0);
        poll();   // a reading replaces what was sent since the last one
        assertThat(loads.load(backend(a))).isZero();
        assertThat(route().backend()).isEqualTo(backend(a));
        assertThat(loads.load(backend(a))).as("only the 32 tokens a must compute").isEqualTo(32);
    }

    @Test
    void aSessionStaysOnItsBackendUnlessAnotherScoresBetterByMoreThanTheAffinityWeight() {
        selector("longctx.gateway.routing.session-affinity=true", "longctx.gateway.routing.affinity-weight=100");
        a.load(10);
        poll();
        Backend home = route("s1", Set.of()).backend();
        assertThat(home).isEqualTo(backend(b));

        holds(a, 4);   // 64 tokens on a
        a.load(0);
        b.load(0);
        poll();
        assertThat(route("s1", Set.of()).backend()).as("64 cached < the affinity bonus of 100").isEqualTo(backend(b));
        assertThat(route("s2", Set.of()).backend()).as("another session goes by overlap").isEqualTo(backend(a));

        holds(a, 10);
        b.load(0);
        a.load(0);
        poll();
        assertThat(route("s1", Set.of()).backend()).as("160 cached > 100").isEqualTo(backend(a));
        b.load(0);
        a.load(0);
        poll();
        index.clear();
        assertThat(route("s1", Set.of()).backend()).as("and the session moved with it").isEqualTo(backend(a));

        selector();   // affinity off: the header changes nothing
        holds(a, 4);
        b.load(0);
        poll();
        assertThat(route("s1", Set.of()).backend()).isEqualTo(backend(a));
    }

    @Test
    void aPullHintNamesOnlyAHealthyHolderOfMoreThanTheChosenBackend() {
        holds(a, 8);
        holds(b, 2);
        a.load(1000);
        selector();
        assertThat(route().request().kvPull()).isEqualTo(new GenerateRequest.KvPull(a.uri().toString(), 8));

        backend(a).circuitBreaker().transitionToForcedOpenState();
        assertThat(route().request().kvPull()).as("an open breaker: no pulls from it either").isNull();
        backend(a).circuitBreaker().reset();

        selector("longctx.gateway.routing.pull-hints=false");
        assertThat(route().request().kvPull()).isNull();

        selector();
        a.load(0);
        poll();
        GenerateRequest stale = request("r").withKvPull(new GenerateRequest.KvPull("http://elsewhere:1", 3));
        BackendSelector.Hints hints = selector.hints(stale, null).block();
        BackendSelector.Route route = selector.select(stale, hints, Set.of()).orElseThrow();
        assertThat(route.backend()).isEqualTo(backend(a));
        assertThat(route.request().kvPull()).as("a hint from an earlier choice is dropped").isNull();
    }

    @Test
    void withoutAnAnswerFromTheIndexTheLeastLoadedBackendIsChosen() {
        holds(a, 10);
        a.load(50);
        int before = index.lookups.get();
        selector("longctx.gateway.routing.kv-index-url=");
        assertThat(route().backend()).as("index unset").isEqualTo(backend(b));
        assertThat(index.lookups.get()).isEqualTo(before);

        selector("longctx.gateway.routing.kv-index-url=http://127.0.0.1:" + closedPort());
        assertThat(route().backend()).as("index down").isEqualTo(backend(b));
        assertThat(meters.get("longctx.kv.lookup.failures").counter().count()).isEqualTo(1);

        selector();
        index.delay(Duration.ofSeconds(3));
        long start = System.nanoTime();
        assertThat(route().backend()).as("index slower than lookup-timeout").isEqualTo(backend(b));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
        assertThat(meters.get("longctx.kv.lookup.failures").counter().count()).isEqualTo(1);
        assertThat(decisions("load")).isEqualTo(1);
    }

    @Test
    void discoveredBackendsJoinTheScoringAndRemovedOnesAreNeitherChosenNorNamed() {
        selector();
        a.load(500);
        b.load(500);
        registry.discovered(List.of(c.uri()));
        poll();
        assertThat(registry.all()).hasSize(3);
        assertThat(route().backend()).as("the idle newcomer").isEqualTo(backend(c));

        holds(c, 10);
        GenerateRequest request = request("r");
        BackendSelector.Hints hints = selector.hints(request, null).block();
        assertThat(hints.cachedTokens(backend(c))).isEqualTo(160);
        Backend gone = backend(c);
        registry.discovered(List.of());   // c leaves between the lookup and the choice
        BackendSelector.Route route = selector.select(request, hints, Set.of()).orElseThrow();
        assertThat(route.backend()).isNotEqualTo(gone);
        assertThat(route.request().kvPull()).as("a removed holder is not named").isNull();

        // the index still lists c (its entries expire later): a holder that is not registered counts for nothing
        assertThat(selector.hints(request, null).block().cachedBlocks()).isEmpty();
    }

    @Test
    void failoverSkipsTheBackendsAlreadyTriedAndTiesGoRoundRobin() {
        selector();
        List<Backend> chosen = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            poll();
            chosen.add(route().backend());
        }
        assertThat(chosen).containsOnly(backend(a), backend(b)).contains(backend(a), backend(b));
        holds(a, 10);
        poll();
        assertThat(route(null, Set.of(backend(a))).backend()).isEqualTo(backend(b));
        GenerateRequest request = request("r");
        assertThat(selector.select(request, selector.hints(request, null).block(), Set.of(backend(a), backend(b))))
                .isEmpty();
    }

    /** A port nothing listens on. */
    static int closedPort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
