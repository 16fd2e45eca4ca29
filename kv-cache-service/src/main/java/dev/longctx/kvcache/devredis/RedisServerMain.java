package dev.longctx.kvcache.devredis;

import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import redis.embedded.RedisServer;

/**
 * Runs the redis-server binary that ships inside the embedded-redis jar, so `./longctx up --instances N` needs
 * nothing installed: {@code java -Dloader.main=dev.longctx.kvcache.devredis.RedisServerMain -cp kv-cache-service.jar
 * org.springframework.boot.loader.launch.PropertiesLauncher PORT}. Stops the server on TERM/INT. Development only:
 * no persistence, bound to 127.0.0.1.
 */
public final class RedisServerMain {
    private RedisServerMain() {}

    public static void main(String[] args) throws IOException, InterruptedException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 6379;
        RedisServer server = RedisServer.newRedisServer().port(port).setting("bind 127.0.0.1")
                .setting("save \"\"").setting("appendonly no").build();
        server.start();
        System.out.println("redis-server (embedded-redis) listening on 127.0.0.1:" + port);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.stop();
            } catch (IOException e) {
                System.err.println("stopping redis-server: " + e.getMessage());
            }
            stopped.countDown();
        }));
        stopped.await();
    }
}
