package dev.longctx.gateway.support;

import dev.longctx.common.kvindex.PrefixLookup;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import tools.jackson.databind.json.JsonMapper;

/**
 * kv-cache-service's POST /internal/kv/lookup over real HTTP, answering as it does: for each instance holding the
 * first of the asked block names, how many leading ones it holds. The test says who holds which names, and may
 * make the answer slow.
 */
public final class FakeKvIndex implements AutoCloseable {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final DisposableServer server;
    private final Map<String, Set<String>> held = new ConcurrentHashMap<>();
    private volatile Duration delay = Duration.ZERO;
    public final AtomicInteger lookups = new AtomicInteger();

    public FakeKvIndex() {
        server = HttpServer.create().host("127.0.0.1").port(0)
                .route(routes -> routes.post("/internal/kv/lookup", (request, response) -> request.receive()
                        .aggregate().asString()
                        .map(body -> answer(JSON.readValue(body, PrefixLookup.class)))
                        .delayElement(delay)
                        .flatMap(answer -> response.header("Content-Type", "application/json")
                                .sendString(Mono.just(answer)).then())))
                .bindNow();
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + server.port());
    }

    /** The instance advertising {@code url} holds these block names (hex), besides what it held. */
    public void hold(String url, List<String> names) {
        held.computeIfAbsent(url, u -> ConcurrentHashMap.newKeySet()).addAll(names);
    }

    public void clear() {
        held.clear();
    }

    public void delay(Duration delay) {
        this.delay = delay;
    }

    private String answer(PrefixLookup lookup) {
        lookups.incrementAndGet();
        List<PrefixLookup.InstancePrefix> instances = new ArrayList<>();
        held.forEach((url, names) -> {
            int blocks = 0;
            while (blocks < lookup.hashes().size() && names.contains(lookup.hashes().get(blocks))) blocks++;
            if (blocks > 0) instances.add(new PrefixLookup.InstancePrefix(url, url, blocks));
        });
        return JSON.writeValueAsString(new PrefixLookup.Result(instances));
    }

    @Override
    public void close() {
        server.disposeNow();
    }
}
