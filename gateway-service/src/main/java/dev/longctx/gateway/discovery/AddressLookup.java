package dev.longctx.gateway.discovery;

import java.net.InetAddress;
import java.util.List;
import reactor.core.publisher.Mono;

/** Resolves a name to all its addresses, without blocking the caller. */
public interface AddressLookup {

    /**
     * @return every address of {@code host}; empty when the name has none (it does not exist, or, as a
     *         Kubernetes headless Service without a ready pod, answers NXDOMAIN); an error when no answer came
     *         (time-out, server failure), which says nothing about the addresses
     */
    Mono<List<InetAddress>> resolveAll(String host);
}
