package dev.longctx.gateway.support;

import dev.longctx.common.prefix.PrefixFacts;
import dev.longctx.common.wire.BackendInfo;
import dev.longctx.common.wire.BackendLoad;
import java.net.URI;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import tools.jackson.databind.json.JsonMapper;

/**
 * A real HTTP stand-in for what the router reads of one inference-service: /internal/info (ready, with the facts
 * that name its KV blocks) and /internal/load (the load the test sets).
 */
public final class FakeBackend implements AutoCloseable {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final DisposableServer server;
    private volatile long loadTokens;

    public FakeBackend(PrefixFacts facts) {
        server = HttpServer.create().host("127.0.0.1").port(0)
                .route(routes -> routes
                        .get("/internal/info", (request, response) -> response.header("Content-Type", "application/json")
                                .sendString(Mono.fromCallable(() -> JSON.writeValueAsString(
                                        new BackendInfo("m", 100_000, true, 1000, facts)))))
                        .get("/internal/load", (request, response) -> response.header("Content-Type", "application/json")
                                .sendString(Mono.fromCallable(() -> JSON.writeValueAsString(
                                        new BackendLoad(0, 1, 0, loadTokens))))))
                .bindNow();
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + server.port());
    }

    /** Waiting + running tokens its next /internal/load reports. */
    public void load(long tokens) {
        this.loadTokens = tokens;
    }

    @Override
    public void close() {
        server.disposeNow();
    }
}
