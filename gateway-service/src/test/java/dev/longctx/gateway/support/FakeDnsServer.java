package dev.longctx.gateway.support;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real DNS server over UDP on 127.0.0.1 answering A queries from a table the test changes: a name in the
 * table gets its addresses (TTL 0), any other NXDOMAIN. {@link #failWith} makes every answer that code (say
 * SERVFAIL); {@link #silent} drops queries unanswered.
 */
public final class FakeDnsServer implements AutoCloseable {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel channel;
    private final Map<String, List<InetAddress>> names = new ConcurrentHashMap<>();
    private volatile DnsResponseCode failure;
    private volatile boolean silent;
    public final AtomicInteger queries = new AtomicInteger();

    public FakeDnsServer() throws InterruptedException {
        channel = new Bootstrap().group(group).channel(NioDatagramChannel.class)
                .handler(new ChannelInitializer<NioDatagramChannel>() {
                    @Override
                    protected void initChannel(NioDatagramChannel ch) {
                        ch.pipeline().addLast(new DatagramDnsQueryDecoder(), new DatagramDnsResponseEncoder(),
                                new SimpleChannelInboundHandler<DatagramDnsQuery>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, DatagramDnsQuery query) {
                                        answer(ctx, query);
                                    }
                                });
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    /** {@code name} (no trailing dot) answers these addresses from now on; none = NXDOMAIN. */
    public void set(String name, String... addresses) {
        if (addresses.length == 0) {
            names.remove(name);
            return;
        }
        names.put(name, java.util.Arrays.stream(addresses).map(FakeDnsServer::literal).toList());
    }

    public void failWith(DnsResponseCode code) { this.failure = code; }

    public void silent(boolean silent) { this.silent = silent; }

    private static InetAddress literal(String address) {
        try {
            return InetAddress.getByName(address);   // a literal: no lookup
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(address, e);
        }
    }

    private void answer(ChannelHandlerContext ctx, DatagramDnsQuery query) {
        queries.incrementAndGet();
        if (silent) return;
        DnsQuestion question = query.recordAt(DnsSection.QUESTION);
        DatagramDnsResponse response = new DatagramDnsResponse(query.recipient(), query.sender(), query.id());
        response.setAuthoritativeAnswer(true);
        response.addRecord(DnsSection.QUESTION, question);
        String name = question.name().endsWith(".") ? question.name().substring(0, question.name().length() - 1)
                : question.name();
        List<InetAddress> addresses = names.get(name);
        if (failure != null) {
            response.setCode(failure);
        } else if (addresses == null) {
            response.setCode(DnsResponseCode.NXDOMAIN);
        } else if (question.type() == DnsRecordType.A) {
            for (InetAddress address : addresses) {
                response.addRecord(DnsSection.ANSWER, new DefaultDnsRawRecord(question.name(), DnsRecordType.A, 0,
                        Unpooled.wrappedBuffer(address.getAddress())));
            }
        }
        ctx.writeAndFlush(response);
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }
}
