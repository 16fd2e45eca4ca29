package dev.longctx.gateway.routing;

import dev.longctx.common.wire.GenerateRequest;
import java.util.Optional;
import java.util.Set;

/**
 * Picks the backend for one sequence. It sees the request so that a prefix-aware router (one that sends a
 * prompt where its KV prefix is cached) can replace round-robin without touching the callers.
 */
public interface BackendSelector {
    /**
     * @param request the sequence about to be sent
     * @param exclude backends this sequence already failed on
     * @return a healthy backend not in {@code exclude}, or empty when there is none
     */
    Optional<Backend> select(GenerateRequest request, Set<Backend> exclude);
}
