package dev.longctx.gateway.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.longctx.gateway.config.GatewayProperties;
import dev.longctx.gateway.routing.Backend;
import dev.longctx.gateway.routing.BackendRegistry;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * Discovery and the registry together, with a lookup whose answers the test sets: who joins, who stays (same
 * breaker, same state), who is drained and when, what a failed lookup changes (nothing).
 */
class DnsBackendDiscoveryTest {

    /** Answers what the test last set: addresses, or a failure. */
    static final class ScriptedLookup implements AddressLookup {
        final AtomicReference<Mono<List<InetAddress>>> next = new AtomicReference<>(Mono.just(List.of()));
        final List<String> asked = new java.util.concurrent.CopyOnWriteArrayList<>();

        void answer(String... addresses) {
            next.set(Mono.just(Arrays.stream(addresses).map(ScriptedLookup::literal).toList()));
        }

        void fail() {
            next.set(Mono.error(new UnknownHostException("no answer from the name server")));
        }

        static InetAddress literal(String address) {
            try {
                return InetAddress.getByName(address);
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException(e);
            }
        }

        @Override
        public Mono<List<InetAddress>> resolveAll(String host) {
            asked.add(host);
            return next.get();
        }
    }

    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    final ScriptedLookup lookup = new ScriptedLookup();

    GatewayProperties gateway(String... settings) {
        Map<String, String> map = new HashMap<>();
        map.put("longctx.gateway.discovery.dns", "inference-pool.ns.svc:8002");
        for (String setting : settings) map.put(setting.split("=", 2)[0], setting.split("=", 2)[1]);
        return new Binder(new MapConfigurationPropertySource(map)).bindOrCreate("longctx.gateway", GatewayProperties.class);
    }

    static List<String> urls(List<Backend> backends) {
        return backends.stream().map(Backend::key).toList();
    }

    void refresh(DnsBackendDiscovery discovery) {
        discovery.refresh().block(Duration.ofSeconds(5));
    }

    @Test
    void addressesJoinStayWithTheirBreakerAndLeaveAfterTwoMissingAnswers() {
        GatewayProperties properties = gateway();
        assertThat(properties.backends()).as("with discovery there is no default static backend").isEmpty();
        BackendRegistry registry = new BackendRegistry(properties, meters);
        DnsBackendDiscovery discovery = new DnsBackendDiscovery(registry, properties.discovery(), lookup);

        lookup.answer("10.0.0.2", "10.0.0.1");
        refresh(discovery);
        assertThat(lookup.asked).containsOnly("inference-pool.ns.svc");
        assertThat(urls(registry.all())).containsExactly("http://10.0.0.1:8002", "http://10.0.0.2:8002");
        Backend first = registry.all().getFirst();
        first.circuitBreaker().transitionToForcedOpenState();
        assertThat(meters.find("resilience4j.circuitbreaker.state").tag("name", "http://10.0.0.1:8002").meters())
                .isNotEmpty();

        lookup.answer("10.0.0.1", "10.0.0.3");
        refresh(discovery);
        assertThat(urls(registry.all())).as("10.0.0.2 missed one answer: kept")
                .containsExactly("http://10.0.0.1:8002", "http://10.0.0.2:8002", "http://10.0.0.3:8002");
        assertThat(registry.all().getFirst()).as("a backend that stays is the same one").isSameAs(first);
        assertThat(first.circuitBreaker().getState()).isEqualTo(CircuitBreaker.State.FORCED_OPEN);

        Backend second = registry.all().get(1);
        refresh(discovery);
        assertThat(urls(registry.all())).containsExactly("http://10.0.0.1:8002", "http://10.0.0.3:8002");
        assertThat(second.healthy()).as("a removed backend takes nothing new").isFalse();
        assertThat(meters.find("resilience4j.circuitbreaker.state").tag("name", "http://10.0.0.2:8002").meters())
                .as("its breaker's meters go with it").isEmpty();

        lookup.answer("10.0.0.2", "10.0.0.1", "10.0.0.3");
        refresh(discovery);
        Backend back = registry.all().stream().filter(b -> b.key().equals("http://10.0.0.2:8002")).findFirst().orElseThrow();
        assertThat(back).as("a pod back at the same address is a new backend").isNotSameAs(second);
        assertThat(back.healthy()).isTrue();
    }

    @Test
    void aFailedLookupKeepsTheBackendsAndNoAddressDrainsThem() {
        GatewayProperties properties = gateway();
        BackendRegistry registry = new BackendRegistry(properties, meters);
        DnsBackendDiscovery discovery = new DnsBackendDiscovery(registry, properties.discovery(), lookup);
        lookup.answer("10.0.0.1");
        refresh(discovery);

        lookup.fail();
        for (int i = 0; i < 3; i++) refresh(discovery);
        assertThat(urls(registry.all())).as("no answer says nothing about the pods").containsExactly("http://10.0.0.1:8002");

        lookup.answer();   // NXDOMAIN: the Service has no ready pod
        refresh(discovery);
        assertThat(registry.all()).hasSize(1);
        refresh(discovery);
        assertThat(registry.all()).isEmpty();
    }

    @Test
    void aRemovedBackendDrainsItsSequencesAndOnlyThenIsGone() {
        GatewayProperties properties = gateway("longctx.gateway.backends[0]=http://10.0.0.9:8002/");
        BackendRegistry registry = new BackendRegistry(properties, meters);
        DnsBackendDiscovery discovery = new DnsBackendDiscovery(registry, properties.discovery(), lookup);
        lookup.answer("10.0.0.1", "10.0.0.9");
        refresh(discovery);
        assertThat(urls(registry.all())).as("configured first; a discovered duplicate of it is the configured one")
                .containsExactly("http://10.0.0.9:8002", "http://10.0.0.1:8002");
        Backend pod = registry.all().get(1);

        Sinks.Many<String> stream = Sinks.many().unicast().onBackpressureBuffer();
        List<String> received = new java.util.concurrent.CopyOnWriteArrayList<>();
        var subscription = registry.track(pod, stream.asFlux()).subscribe(received::add);
        stream.tryEmitNext("token 1");
        assertThat(pod.inFlight().get()).isEqualTo(1);

        lookup.answer("10.0.0.9");
        refresh(discovery);
        refresh(discovery);
        assertThat(urls(registry.all())).containsExactly("http://10.0.0.9:8002");
        assertThat(registry.draining()).containsExactly(pod);
        assertThat(meters.get("longctx.routing.backends").tag("state", "draining").gauge().value()).isEqualTo(1);

        stream.tryEmitNext("token 2");
        stream.tryEmitComplete();
        assertThat(received).as("the sequence in flight finished").containsExactly("token 1", "token 2");
        assertThat(registry.draining()).as("drained").isEmpty();
        assertThat(subscription.isDisposed()).isTrue();

        lookup.answer();
        for (int i = 0; i < 3; i++) refresh(discovery);
        assertThat(urls(registry.all())).as("discovery never removes a configured backend").containsExactly("http://10.0.0.9:8002");
    }

    @Test
    void ipv6AddressesBecomeBracketedUrls() {
        GatewayProperties properties = gateway("longctx.gateway.discovery.ip-family=ipv6");
        BackendRegistry registry = new BackendRegistry(properties, meters);
        DnsBackendDiscovery discovery = new DnsBackendDiscovery(registry, properties.discovery(), lookup);
        lookup.answer("fd00::1");
        refresh(discovery);
        assertThat(urls(registry.all())).containsExactly("http://[fd00:0:0:0:0:0:0:1]:8002");
        assertThat(registry.all().getFirst().uri().getPort()).isEqualTo(8002);
    }
}
