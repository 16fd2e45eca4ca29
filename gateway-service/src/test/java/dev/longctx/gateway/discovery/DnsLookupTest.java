package dev.longctx.gateway.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.longctx.gateway.config.GatewayProperties.Discovery.IpFamily;
import dev.longctx.gateway.support.FakeDnsServer;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.resolver.dns.DnsNameResolverTimeoutException;
import io.netty.resolver.dns.SingletonDnsServerAddressStreamProvider;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Netty's resolver as discovery uses it, against a real DNS server whose answers the test changes. */
class DnsLookupTest {
    static FakeDnsServer dns;
    static DnsLookup lookup;

    @BeforeAll
    static void start() throws Exception {
        dns = new FakeDnsServer();
        lookup = new DnsLookup(IpFamily.IPV4, Duration.ofMillis(300), new SingletonDnsServerAddressStreamProvider(dns.address()));
    }

    @AfterAll
    static void stop() {
        lookup.close();
        dns.close();
    }

    @BeforeEach
    void reset() {
        dns.failWith(null);
        dns.silent(false);
    }

    static List<String> resolve(String name) {
        return lookup.resolveAll(name).block(Duration.ofSeconds(10)).stream().map(InetAddress::getHostAddress).toList();
    }

    @Test
    void everyAddressOfTheNameAndEachChangeAtTheNextLookup() {
        dns.set("pool.longctx.test", "10.0.0.1", "10.0.0.2", "10.0.0.3");
        assertThat(resolve("pool.longctx.test")).containsExactlyInAnyOrder("10.0.0.1", "10.0.0.2", "10.0.0.3");
        dns.set("pool.longctx.test", "10.0.0.2", "10.0.0.4");
        assertThat(resolve("pool.longctx.test")).as("nothing cached").containsExactlyInAnyOrder("10.0.0.2", "10.0.0.4");
    }

    @Test
    void aNameWithNoAddressIsEmptyNotAFailure() {
        // what a headless Service without a ready pod answers (NXDOMAIN)
        assertThat(resolve("nothing-ready.longctx.test")).isEmpty();
    }

    @Test
    void noAnswerIsAFailure() {
        dns.set("pool.longctx.test", "10.0.0.1");
        dns.failWith(DnsResponseCode.SERVFAIL);
        assertThatThrownBy(() -> resolve("pool.longctx.test")).hasCauseInstanceOf(UnknownHostException.class);
        dns.failWith(null);
        dns.silent(true);
        assertThatThrownBy(() -> resolve("pool.longctx.test")).hasCauseInstanceOf(UnknownHostException.class)
                .hasRootCauseInstanceOf(DnsNameResolverTimeoutException.class);
    }

    @Test
    void hostsFileNamesResolveToo() {
        assertThat(resolve("localhost")).contains("127.0.0.1");
    }
}
