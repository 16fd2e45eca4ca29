package dev.longctx.gateway.routing;

import dev.longctx.common.wire.GenerateRequest;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import reactor.core.publisher.Mono;

/**
 * Picks the backend for one sequence. {@link #hints} gathers, once per sequence and without blocking, what the
 * choice needs (where the prompt's KV prefix is cached); {@link #select} then chooses, again on each failover.
 */
public interface BackendSelector {

    /** What a selector learned before choosing: cached leading blocks per backend, and the client's session. */
    record Hints(Map<Backend, Integer> cachedBlocks, int blockSize, String sessionId) {
        public static Hints none(String sessionId) {
            return new Hints(Map.of(), 0, sessionId);
        }

        public int cachedTokens(Backend backend) {
            return cachedBlocks.getOrDefault(backend, 0) * blockSize;
        }
    }

    /** The chosen backend and the request to send it (the selector may add a KV pull hint). */
    record Route(Backend backend, GenerateRequest request) {}

    default Mono<Hints> hints(GenerateRequest request, String sessionId) {
        return Mono.just(Hints.none(sessionId));
    }

    /**
     * @param exclude backends this sequence already failed on
     * @return a healthy backend not in {@code exclude}, or empty when there is none
     */
    Optional<Route> select(GenerateRequest request, Hints hints, Set<Backend> exclude);
}
