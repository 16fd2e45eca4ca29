package dev.longctx.e2e;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP relay in front of the gateway that keeps a copy of the bytes going each way, so that a client test that
 * fails can print the raw HTTP exchange its client choked on: status line, headers, JSON bodies and SSE frames
 * exactly as they crossed the wire (chunk sizes included). Byte-level on purpose: an HTTP-aware proxy would
 * re-encode headers and bodies and could hide the very thing a client tripped over.
 *
 * <p>The transcript holds the traffic since the last {@link #clear()}, oldest first; each switch of connection or
 * direction starts a section, and the oldest sections are dropped beyond {@link #LIMIT} bytes.
 */
final class RecordingProxy implements AutoCloseable {
    static final int LIMIT = 200_000;

    private final ServerSocket server;
    private final InetSocketAddress target;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final AtomicInteger connections = new AtomicInteger();
    /** Sections in arrival order; bytes are decoded only when printed, so no character is split at a read. */
    private final Deque<Section> sections = new ArrayDeque<>();
    private long recordedBytes;

    private record Section(String name, ByteArrayOutputStream bytes) {}

    private RecordingProxy(URI target) throws IOException {
        this.target = new InetSocketAddress(target.getHost(), target.getPort());
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().name("recording-proxy-accept").start(this::accept);
    }

    /** Starts relaying from a free loopback port to {@code target}'s host and port. */
    static RecordingProxy start(URI target) {
        try {
            return new RecordingProxy(target);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The proxy's base URL, to give a client instead of the gateway's. */
    URI url() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    synchronized void clear() {
        sections.clear();
        recordedBytes = 0;
    }

    synchronized String transcript() {
        StringBuilder text = new StringBuilder();
        for (Section section : sections) {
            text.append("\n──── ").append(section.name()).append(" ────\n")
                    .append(section.bytes().toString(StandardCharsets.UTF_8));
        }
        return text.toString();
    }

    private void accept() {
        while (!server.isClosed()) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (!server.isClosed()) System.err.println("recording proxy: " + e);
                continue;
            }
            sockets.add(client);
            try {
                Socket upstream = new Socket(target.getAddress(), target.getPort());
                sockets.add(upstream);
                int id = connections.incrementAndGet();
                AtomicInteger open = new AtomicInteger(2);   // directions still flowing
                Thread.ofVirtual().start(() -> pump(client, upstream, open, "connection " + id + ", client → gateway"));
                Thread.ofVirtual().start(() -> pump(upstream, client, open, "connection " + id + ", gateway → client"));
            } catch (IOException gatewayUnreachable) {
                record("connection refused by the gateway", new byte[0], 0);
                closeQuietly(client);
            }
        }
    }

    /**
     * Copies one direction until EOF and passes the half-close on, so the other direction can still finish (a
     * response after the request side ended); both sockets close when both directions have, or on any error.
     */
    private void pump(Socket from, Socket to, AtomicInteger open, String section) {
        byte[] buffer = new byte[16384];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            for (int n; (n = in.read(buffer)) > 0; ) {
                record(section, buffer, n);
                out.write(buffer, 0, n);
                out.flush();
            }
            to.shutdownOutput();
            if (open.decrementAndGet() > 0) return;
        } catch (IOException reset) {
            // a side went away mid-flight (a client dropping a stream, or close()): end the connection
        }
        closeQuietly(from);
        closeQuietly(to);
    }

    private synchronized void record(String section, byte[] bytes, int length) {
        if (sections.isEmpty() || !sections.peekLast().name().equals(section)) {
            sections.addLast(new Section(section, new ByteArrayOutputStream()));
        }
        sections.peekLast().bytes().write(bytes, 0, length);
        recordedBytes += length;
        while (recordedBytes > LIMIT && sections.size() > 1) {   // keep the newest traffic
            recordedBytes -= sections.removeFirst().bytes().size();
        }
    }

    private void closeQuietly(Socket socket) {
        sockets.remove(socket);
        try {
            socket.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        sockets.forEach(this::closeQuietly);
    }
}
