package dev.longctx.gateway.discovery;

import dev.longctx.gateway.config.GatewayProperties.Discovery.IpFamily;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.resolver.ResolvedAddressTypes;
import io.netty.resolver.dns.DnsErrorCauseException;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.DnsServerAddressStreamProvider;
import io.netty.resolver.dns.NoopAuthoritativeDnsServerCache;
import io.netty.resolver.dns.NoopDnsCache;
import io.netty.resolver.dns.NoopDnsCnameCache;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import reactor.core.publisher.Mono;

/**
 * DNS lookups with Netty's asynchronous resolver on a thread of its own: name servers, search domains and ndots
 * from /etc/resolv.conf (so a Service's short name works inside its namespace), /etc/hosts first, TCP when an
 * answer with many pods is truncated. Nothing is cached, unlike the JDK's resolver (30 s): each lookup asks the
 * server, so a pod that became ready (or went) shows up at the next discovery round.
 */
final class DnsLookup implements AddressLookup, AutoCloseable {
    private final EventLoopGroup loop;
    private final DnsNameResolver resolver;

    /** Asks the system's name servers. */
    DnsLookup(IpFamily family, Duration queryTimeout) {
        this(family, queryTimeout, null);
    }

    /** @param servers the name servers to ask; null = the system's */
    DnsLookup(IpFamily family, Duration queryTimeout, DnsServerAddressStreamProvider servers) {
        this.loop = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("gateway-discovery", true),
                NioIoHandler.newFactory());
        DnsNameResolverBuilder builder = new DnsNameResolverBuilder(loop.next())
                .datagramChannelType(NioDatagramChannel.class)
                .socketChannelType(NioSocketChannel.class)
                .resolveCache(NoopDnsCache.INSTANCE)
                .cnameCache(NoopDnsCnameCache.INSTANCE)
                .authoritativeDnsServerCache(NoopAuthoritativeDnsServerCache.INSTANCE)
                .queryTimeoutMillis(queryTimeout.toMillis())
                .resolvedAddressTypes(family == IpFamily.IPV6 ? ResolvedAddressTypes.IPV6_ONLY
                        : ResolvedAddressTypes.IPV4_ONLY);
        if (servers != null) builder.nameServerProvider(servers);
        this.resolver = builder.build();
    }

    @Override
    public Mono<List<InetAddress>> resolveAll(String host) {
        return Mono.create(sink -> {
            Future<List<InetAddress>> answer = resolver.resolveAll(host);
            answer.addListener(done -> {
                if (answer.isSuccess()) {
                    sink.success(List.copyOf(answer.getNow()));
                } else if (nameDoesNotExist(answer.cause())) {
                    sink.success(List.of());
                } else {
                    sink.error(answer.cause());
                }
            });
            sink.onCancel(() -> answer.cancel(false));
        });
    }

    /** NXDOMAIN: the server answered that the name has no records at all (not a failure to answer). */
    static boolean nameDoesNotExist(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof DnsErrorCauseException dns && DnsResponseCode.NXDOMAIN.equals(dns.getCode())) return true;
        }
        return false;
    }

    @Override
    public void close() {
        resolver.close();
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
