package dev.longctx.gateway.routing;

import dev.longctx.common.wire.GenerateRequest;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/** Round-robin over the backends whose breaker is not open, skipping those the sequence already failed on. */
public class RoundRobinBackendSelector implements BackendSelector {
    private final List<Backend> backends;
    private final AtomicInteger next = new AtomicInteger();

    public RoundRobinBackendSelector(BackendRegistry registry) {
        this.backends = registry.all();
    }

    @Override
    public Optional<Route> select(GenerateRequest request, Hints hints, Set<Backend> exclude) {
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
