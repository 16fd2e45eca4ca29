package dev.longctx.kvcache.redis;

import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import com.redis.testcontainers.RedisContainer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.utility.DockerImageName;
import redis.embedded.RedisServer;

/**
 * A real Redis for tests: Testcontainers' Redis where a Docker engine answers, else the redis-server binary
 * inside the embedded-redis jar (as on machines without Docker). Either way on a fixed free port, so that
 * {@link #stop()} and {@link #start()} simulate Redis going away and coming back empty at the same address.
 * {@link #kind()} says which one ran; it is printed when the Redis starts, so the test report shows it.
 */
public final class RealRedis implements AutoCloseable {
    private final int port;
    private final RedisContainer container;
    private final RedisServer embedded;

    private RealRedis(int port, RedisContainer container, RedisServer embedded) {
        this.port = port;
        this.container = container;
        this.embedded = embedded;
    }

    /** Starts a Redis the way this machine allows. */
    public static RealRedis launch() {
        int port = freePort();
        RealRedis redis;
        if (dockerAnswers()) {
            RedisContainer container = new RedisContainer(DockerImageName.parse("redis:7.4-alpine"))
                    .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withPortBindings(
                            new PortBinding(Ports.Binding.bindPort(port), new ExposedPort(6379))));
            redis = new RealRedis(port, container, null);
        } else {
            try {
                redis = new RealRedis(port, null, RedisServer.newRedisServer().port(port)
                        .setting("bind 127.0.0.1").setting("save \"\"").setting("appendonly no").build());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        redis.start();
        System.out.println("RealRedis: " + redis.kind() + " on 127.0.0.1:" + port);
        return redis;
    }

    private static boolean dockerAnswers() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    public String kind() {
        return container != null ? "Testcontainers Redis (redis:7.4-alpine)" : "embedded redis-server 6.2 (embedded-redis jar)";
    }

    public String host() { return "127.0.0.1"; }

    public int port() { return port; }

    /** Spring arguments that point a service at this Redis. */
    public String[] springArgs() {
        return new String[] {"--spring.data.redis.host=" + host(), "--spring.data.redis.port=" + port};
    }

    /** (Re)starts it, empty. */
    public void start() {
        try {
            if (container != null) container.start(); else embedded.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Kills it: every key is lost, clients see connection errors until {@link #start()}. */
    public void stop() {
        try {
            if (container != null) container.stop(); else embedded.stop();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() { stop(); }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
