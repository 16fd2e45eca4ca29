package dev.longctx.gateway.routing;

import dev.longctx.common.wire.GenerateRequest;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/** Round-robin over the backends whose breaker is not open, skipping those the sequence already failed on. */
public class RoundRobinBackendSelector implements BackendSelector {
    private final BackendRegistry registry;
    private final AtomicInteger next = new AtomicInteger();

    public RoundRobinBackendSelector(BackendRegistry registry) {
        this.registry = registry;
    }

    @Override
    public Optional<Route> select(GenerateRequest request, Hints hints, Set<Backend> exclude) {
        List<Backend> backends = registry.all();   // discovery may change it between two calls
        if (backends.isEmpty()) return Optional.empty();
        int start = Math.floorMod(next.getAndIncrement(), backends.size());
        for (int offset = 0; offset < backends.size(); offset++) {
            Backend candidate = backends.get((start + offset) % backends.size());
            if (candidate.healthy() && !exclude.contains(candidate)) {
                return Optional.of(new Route(candidate, request));
            }
        }
        return Optional.empty();
    }
}
