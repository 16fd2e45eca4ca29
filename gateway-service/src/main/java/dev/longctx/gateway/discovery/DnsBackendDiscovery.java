package dev.longctx.gateway.discovery;

import dev.longctx.gateway.config.GatewayProperties;
import dev.longctx.gateway.routing.BackendRegistry;
import dev.longctx.gateway.routing.Polling;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * {@code longctx.gateway.discovery.dns=host:port}: resolves the host every {@code interval} and makes each address
 * the backend {@code http://<address>:<port>} (on Kubernetes, a headless Service's name answers one address per
 * ready pod, so each pod is a backend of its own). An address that joins is routed to at once; one missing from
 * {@value #MISSES_BEFORE_REMOVAL} answers in a row is drained (one odd answer must not empty the pool). A lookup
 * that fails (no answer) changes nothing. Lookups never block: Netty's resolver answers on its own thread.
 */
@Component
public class DnsBackendDiscovery implements SmartLifecycle, DisposableBean {
    private static final Logger log = LoggerFactory.getLogger(DnsBackendDiscovery.class);
    static final int MISSES_BEFORE_REMOVAL = 2;

    private final BackendRegistry registry;
    private final GatewayProperties.Discovery settings;
    private final AddressLookup lookup;
    /** The discovered backends' URLs and how many answers in a row each was missing from; guarded by this. */
    private final Map<URI, Integer> known = new LinkedHashMap<>();
    private volatile boolean failing;
    private volatile boolean empty;
    private volatile Disposable polling;

    @Autowired
    public DnsBackendDiscovery(BackendRegistry registry, GatewayProperties properties) {
        this(registry, properties.discovery(), properties.discovery().enabled()
                ? new DnsLookup(properties.discovery().ipFamily(), properties.probeTimeout()) : null);
    }

    DnsBackendDiscovery(BackendRegistry registry, GatewayProperties.Discovery settings, AddressLookup lookup) {
        this.registry = registry;
        this.settings = settings;
        this.lookup = lookup;
    }

    /** One lookup and what it changed (empty when it failed); public so tests can force one. */
    public Mono<BackendRegistry.Change> refresh() {
        if (lookup == null) return Mono.empty();
        return lookup.resolveAll(settings.host())
                .map(this::apply)
                .doOnNext(change -> {
                    if (failing) log.info("discovery: {} answers again", settings.host());
                    failing = false;
                })
                .onErrorResume(e -> {
                    if (!failing) log.warn("discovery: cannot resolve {} ({}); keeping the backends it last named",
                            settings.host(), e.toString());
                    failing = true;
                    return Mono.empty();
                });
    }

    private synchronized BackendRegistry.Change apply(List<InetAddress> addresses) {
        Map<URI, Integer> answered = new LinkedHashMap<>();
        for (InetAddress address : addresses) answered.put(backendUrl(address), 0);
        for (Iterator<Map.Entry<URI, Integer>> it = known.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<URI, Integer> entry = it.next();
            if (answered.containsKey(entry.getKey())) continue;
            if (entry.getValue() + 1 >= MISSES_BEFORE_REMOVAL) it.remove();
            else entry.setValue(entry.getValue() + 1);
        }
        known.putAll(answered);
        if (addresses.isEmpty() != empty) {
            if (addresses.isEmpty()) log.warn("discovery: {} has no address (no ready pod, or a wrong name?)", settings.host());
            else log.info("discovery: {} has addresses again", settings.host());
        }
        empty = addresses.isEmpty();
        return registry.discovered(known.keySet());
    }

    private URI backendUrl(InetAddress address) {
        String host = address.getHostAddress();
        if (address instanceof Inet6Address && host.indexOf('%') >= 0) host = host.substring(0, host.indexOf('%'));
        try {
            // brackets an IPv6 literal
            return new URI("http", null, host, settings.port(), null, null, null);
        } catch (URISyntaxException e) {
            throw new IllegalStateException("no URL for " + host, e);
        }
    }

    @Override
    public void start() {
        if (lookup == null) return;
        log.info("discovery: backends are the addresses of {} every {}", settings.dns(), settings.interval());
        polling = Polling.every(settings.interval(), this::refresh);
    }

    @Override
    public void stop() {
        Disposable current = polling;
        if (current != null) current.dispose();
        polling = null;
    }

    @Override
    public boolean isRunning() {
        return polling != null;
    }

    @Override
    public void destroy() {
        if (lookup instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                log.debug("closing the resolver", e);
            }
        }
    }
}
