package dev.longctx.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** One service jar running as a child JVM on its own port, logging to a file. */
public final class ServiceProcess implements AutoCloseable {

    /** The engine needs the incubating Vector API; serial GC: small heaps, two shared cores. */
    static final List<String> JVM_FLAGS = List.of("--add-modules", "jdk.incubator.vector",
            "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-Xss4m");

    private static final HttpClient PROBE = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();

    private final String name;
    private final int port;
    private final Path log;
    private final Process process;

    private ServiceProcess(String name, int port, Path log, Process process) {
        this.name = name;
        this.port = port;
        this.log = log;
        this.process = process;
    }

    /**
     * Starts {@code java -jar jar --server.port=port args...}; does not wait for it.
     *
     * @param heap   e.g. "512m"
     * @param c1Only stop at the C1 JIT: starts faster, runs slower (not for the engine, whose Vector API code
     *               is only fast once C2 compiles it)
     */
    public static ServiceProcess start(String name, Path jar, int port, String heap, boolean c1Only, List<String> args,
                                       Path logDir) {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("missing " + jar + ": package the services first (./mvnw -B -DskipTests package)");
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(JVM_FLAGS);
        command.add("-Xmx" + heap);
        if (c1Only) command.add("-XX:TieredStopAtLevel=1");
        command.add("-jar");
        command.add(jar.toString());
        command.add("--server.port=" + port);
        command.add("--spring.main.banner-mode=off");
        command.addAll(args);
        try {
            Files.createDirectories(logDir);
            Path log = logDir.resolve(name + ".log");
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            return new ServiceProcess(name, port, log, process);
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + name, e);
        }
    }

    /** A port nothing listens on right now (the OS hands out a fresh ephemeral one each time). */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Polls the readiness probe until it answers 200; fails with the log's tail if the process exits, reports
     * itself broken (liveness 503) or is not ready within {@code timeout}.
     */
    public void awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited (code " + process.exitValue() + ") before becoming ready\n" + logTail(40));
            }
            if (status("/actuator/health/readiness") == 200) {
                return;
            }
            if (status("/actuator/health/liveness") == 503) {
                throw new IllegalStateException(name + " reports itself broken (liveness DOWN)\n" + logTail(40));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + " not ready after " + timeout.toSeconds() + " s\n" + logTail(40));
            }
            try {
                Thread.sleep(150);      // a polling interval, not a wait for something to happen
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + name, e);
            }
        }
    }

    private int status(String path) {
        try {
            HttpRequest request = HttpRequest.newBuilder(baseUrl().resolve(path)).timeout(Duration.ofSeconds(2)).GET().build();
            return PROBE.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;          // not listening yet
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    public String name() {
        return name;
    }

    public int port() {
        return port;
    }

    public URI baseUrl() {
        return URI.create("http://127.0.0.1:" + port);
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public long pid() {
        return process.pid();
    }

    public Path log() {
        return log;
    }

    /** SIGKILL: a crash, no graceful shutdown, connections reset. */
    public void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** SIGTERM with a short grace period, then SIGKILL. */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                kill();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill();
        }
    }

    /** The last {@code lines} lines of the log, stack frames left out so the cause stays visible. */
    public String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8).stream()
                    .filter(line -> !line.matches("^\\s+(at |\\.\\.\\. \\d+ (common frames|more)).*"))
                    .toList();
            return "---- " + name + " (" + log + ") ----\n"
                    + String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size())) + "\n----";
        } catch (IOException e) {
            return "(no log for " + name + ": " + e.getMessage() + ")";
        }
    }

    @Override
    public String toString() {
        return name + "@" + port;
    }
}
