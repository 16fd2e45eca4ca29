package dev.longctx.gateway.kvindex;

import dev.longctx.common.kvindex.PrefixLookup;
import dev.longctx.gateway.routing.RoutingProperties;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;

/**
 * kv-cache-service's prefix lookup. Never fails a request: an unset, slow or unreachable index answers
 * "nothing cached" (counted in {@code longctx_kv_lookup_failures_total}) and routing falls back to load.
 */
@Component
public class KvIndexClient {
    private static final Logger log = LoggerFactory.getLogger(KvIndexClient.class);
    private static final PrefixLookup.Result NOTHING = new PrefixLookup.Result(List.of());

    private final WebClient web;
    private final RoutingProperties properties;
    private final Counter failures;
    private volatile boolean failing;

    public KvIndexClient(WebClient upstreamWebClient, RoutingProperties properties, MeterRegistry meters) {
        this.web = upstreamWebClient;
        this.properties = properties;
        this.failures = Counter.builder("longctx.kv.lookup.failures")
                .description("KV index lookups that failed or timed out (routed by load instead)").register(meters);
    }

    public Mono<PrefixLookup.Result> lookup(List<String> hashes, int blockSize) {
        if (properties.kvIndexUrl() == null || hashes.isEmpty()) return Mono.just(NOTHING);
        return web.post()
                .uri(properties.kvIndexUrl().resolve("/internal/kv/lookup"))
                .bodyValue(new PrefixLookup(hashes, blockSize))
                .retrieve()
                .bodyToMono(PrefixLookup.Result.class)
                .timeout(properties.lookupTimeout())
                .doOnNext(r -> {
                    if (failing) log.info("KV index at {} answers again", properties.kvIndexUrl());
                    failing = false;
                })
                .onErrorResume(e -> {
                    failures.increment();
                    if (!failing) log.warn("KV index lookup failed ({}); routing by load", e.toString());
                    failing = true;
                    return Mono.just(NOTHING);
                })
                .defaultIfEmpty(NOTHING);
    }
}
