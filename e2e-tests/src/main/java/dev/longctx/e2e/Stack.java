package dev.longctx.e2e;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import tools.jackson.databind.json.JsonMapper;

/**
 * The whole serving stack as child processes: tokenizer-service, {@code backends} inference-services and the
 * gateway, plus optionally an "edge" gateway used for the admission tests (rate limit 1 req/s in front of a
 * port where nothing listens, so its generation requests find no healthy backend). Everything is started from
 * the packaged jars under {@code <root>/*}{@code /target}; logs go to {@code logDir}.
 */
public final class Stack implements AutoCloseable {

    /**
     * @param root          the longctx checkout (service jars, tokenizer fixture)
     * @param modelDir      the model to serve; null = write a random Qwen2 checkpoint under logDir/..
     * @param randomMaxLen  max_position_embeddings of the random model (ignored with a modelDir)
     * @param backends      how many inference-services
     * @param apiKey        the gateway's accepted key; null = open
     * @param edgeGateway   also start the rate-limited gateway with no live backend
     * @param c1Only        -XX:TieredStopAtLevel=1 for the Spring services (faster start, slower steady state);
     *                      the inference-services always get C2, which the engine's Vector API code needs
     * @param backendArgs   extra Spring arguments for every inference-service
     * @param gatewayArgs   extra Spring arguments for the main gateway
     * @param redisAddress  host:port of a Redis: also start kv-cache-service on it, have the backends publish
     *                      their prefix caches there and the gateway route KV-aware; null = none of that
     * @param backendHeap   -Xmx of each inference-service (the KV cache lives on its heap)
     */
    public record Options(Path root, Path modelDir, int randomMaxLen, int backends, String apiKey, boolean edgeGateway,
                          boolean c1Only, List<String> backendArgs, List<String> gatewayArgs, Path logDir,
                          String redisAddress, String backendHeap) {

        /** No Redis, and 512 MB backends: enough for the suites' short prompts. */
        public Options(Path root, Path modelDir, int randomMaxLen, int backends, String apiKey, boolean edgeGateway,
                       boolean c1Only, List<String> backendArgs, List<String> gatewayArgs, Path logDir) {
            this(root, modelDir, randomMaxLen, backends, apiKey, edgeGateway, c1Only, backendArgs, gatewayArgs, logDir,
                    null, "512m");
        }

        public Options withRedis(String address) {
            return new Options(root, modelDir, randomMaxLen, backends, apiKey, edgeGateway, c1Only, backendArgs,
                    gatewayArgs, logDir, address, backendHeap);
        }

        public Options withBackendHeap(String heap) {
            return new Options(root, modelDir, randomMaxLen, backends, apiKey, edgeGateway, c1Only, backendArgs,
                    gatewayArgs, logDir, redisAddress, heap);
        }
    }

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);

    private final Options options;
    private final Path modelDir;
    private final String modelName;
    private final ServiceProcess tokenizer;
    private final List<ServiceProcess> backends;
    private final ServiceProcess gateway;
    private final ServiceProcess edgeGateway;
    private final ServiceProcess kvCache;
    private final List<List<String>> backendArgs = new ArrayList<>();
    private final List<ServiceProcess> all = new ArrayList<>();
    private final Thread shutdownHook = new Thread(this::close, "e2e-stack-shutdown");

    private Stack(Options options) {
        this.options = options;
        Runtime.getRuntime().addShutdownHook(shutdownHook);   // no orphaned JVMs if the test JVM exits early
        this.modelDir = options.modelDir() != null
                ? options.modelDir().toAbsolutePath().normalize()
                : RandomQwen2Model.write(options.logDir().resolveSibling("e2e-random-qwen2"), options.root(),
                        options.randomMaxLen(), 42);
        this.modelName = modelDir.getFileName().toString();
        try {
            tokenizer = start(ServiceProcess.start("tokenizer-service", jar("tokenizer-service"), ServiceProcess.freePort(),
                    "256m", options.c1Only(), List.of("--longctx.model.path=" + modelDir), options.logDir()));
            if (options.redisAddress() != null) {
                String[] redis = options.redisAddress().split(":");
                kvCache = start(ServiceProcess.start("kv-cache-service", jar("kv-cache-service"), ServiceProcess.freePort(),
                        "256m", options.c1Only(), List.of("--spring.data.redis.host=" + redis[0],
                                "--spring.data.redis.port=" + redis[1], "--longctx.kv-index.instance-timeout=6s",
                                "--longctx.kv-index.sweep-interval=500ms"), options.logDir()));
            } else {
                kvCache = null;
            }
            backends = new ArrayList<>();
            for (int i = 0; i < options.backends(); i++) {
                int port = ServiceProcess.freePort();
                List<String> args = new ArrayList<>(List.of("--longctx.model.path=" + modelDir, "--longctx.model.name=" + modelName,
                        "--longctx.kv.advertised-url=http://127.0.0.1:" + port));
                if (kvCache != null) {
                    args.addAll(List.of("--longctx.kv.index-url=" + kvCache.baseUrl(), "--longctx.kv.heartbeat-interval=1s"));
                }
                args.addAll(options.backendArgs());
                backendArgs.add(args);
                backends.add(start(ServiceProcess.start("inference-service-" + i, jar("inference-service"),
                        port, options.backendHeap(), false, args, options.logDir())));
            }
            tokenizer.awaitReady(READY_TIMEOUT);
            if (kvCache != null) kvCache.awaitReady(READY_TIMEOUT);
            for (ServiceProcess backend : backends) backend.awaitReady(READY_TIMEOUT);

            // The gateways start last: they learn max_model_len from tokenizer-service and route at once.
            List<String> gatewayArgs = new ArrayList<>(unlessOverridden(gatewayCommon(), options.gatewayArgs()));
            for (int i = 0; i < backends.size(); i++) {
                gatewayArgs.add("--longctx.gateway.backends[" + i + "]=" + backends.get(i).baseUrl());
            }
            if (options.apiKey() != null) gatewayArgs.add("--longctx.gateway.api-keys[0]=" + options.apiKey());
            if (kvCache != null) {
                gatewayArgs.addAll(List.of("--longctx.gateway.routing.policy=kv-aware",
                        "--longctx.gateway.routing.kv-index-url=" + kvCache.baseUrl(),
                        "--longctx.gateway.routing.load-poll-interval=200ms"));
            }
            gatewayArgs.addAll(options.gatewayArgs());
            gateway = start(ServiceProcess.start("gateway-service", jar("gateway-service"), ServiceProcess.freePort(),
                    "384m", options.c1Only(), gatewayArgs, options.logDir()));
            if (options.edgeGateway()) {
                List<String> edgeArgs = new ArrayList<>(gatewayCommon());
                edgeArgs.add("--longctx.gateway.backends[0]=http://127.0.0.1:" + ServiceProcess.freePort());
                edgeArgs.add("--longctx.gateway.rate-limit=1");
                edgeGateway = start(ServiceProcess.start("edge-gateway-service", jar("gateway-service"),
                        ServiceProcess.freePort(), "256m", options.c1Only(), edgeArgs, options.logDir()));
            } else {
                edgeGateway = null;
            }
            gateway.awaitReady(READY_TIMEOUT);
            if (edgeGateway != null) edgeGateway.awaitReady(READY_TIMEOUT);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    public static Stack start(Options options) {
        return new Stack(options);
    }

    /** Settings both gateways share: this model, short timeouts and fast health checks so failures show quickly. */
    private List<String> gatewayCommon() {
        return List.of(
                "--longctx.gateway.model-name=" + modelName,
                "--longctx.gateway.tokenizer-url=" + tokenizer.baseUrl(),
                "--longctx.gateway.first-token-timeout=20s",
                "--longctx.gateway.idle-timeout=10s",
                "--longctx.gateway.tokenize-timeout=10s",
                "--longctx.gateway.health-check-interval=1s",
                "--longctx.gateway.circuit-breaker.minimum-calls=2",
                "--longctx.gateway.circuit-breaker.sliding-window-size=4",
                "--longctx.gateway.circuit-breaker.open-duration=3s");
    }

    /**
     * The defaults whose keys {@code overrides} does not set: Spring joins repeated command-line options with a
     * comma ("20s,10m"), so a test's own value must replace the default, not follow it.
     */
    private static List<String> unlessOverridden(List<String> defaults, List<String> overrides) {
        List<String> keys = overrides.stream().map(arg -> arg.substring(0, arg.indexOf('=') + 1)).toList();
        return defaults.stream().filter(arg -> !keys.contains(arg.substring(0, arg.indexOf('=') + 1))).toList();
    }

    private ServiceProcess start(ServiceProcess process) {
        all.add(process);
        return process;
    }

    private Path jar(String module) {
        return options.root().resolve(module).resolve("target").resolve(module + ".jar");
    }

    public String modelName() {
        return modelName;
    }

    public Path modelDir() {
        return modelDir;
    }

    /** The served context length: config.json's max_position_embeddings (what the gateway advertises). */
    public int maxModelLen() {
        try {
            return JSON.readTree(modelDir.resolve("config.json").toFile()).path("max_position_embeddings").asInt();
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot read max_position_embeddings from " + modelDir, e);
        }
    }

    public String apiKey() {
        return options.apiKey();
    }

    public URI gatewayUrl() {
        return gateway.baseUrl();
    }

    /** The rate-limited gateway whose only backend is a dead port; null unless {@code edgeGateway}. */
    public URI edgeGatewayUrl() {
        return edgeGateway == null ? null : edgeGateway.baseUrl();
    }

    public ServiceProcess tokenizer() {
        return tokenizer;
    }

    public List<ServiceProcess> backends() {
        return List.copyOf(backends);
    }

    /** kv-cache-service; null unless the stack was given a Redis. */
    public ServiceProcess kvCache() {
        return kvCache;
    }

    /** Kills backend {@code i} (SIGKILL) and starts it again on the same port with the same settings, empty. */
    public synchronized ServiceProcess restartBackend(int i) {
        ServiceProcess old = backends.get(i);
        old.kill();
        all.remove(old);
        ServiceProcess fresh = start(ServiceProcess.start(old.name(), jar("inference-service"), old.port(), "512m", false,
                backendArgs.get(i), options.logDir()));
        backends.set(i, fresh);
        fresh.awaitReady(READY_TIMEOUT);
        return fresh;
    }

    public List<ServiceProcess> liveBackends() {
        return backends.stream().filter(ServiceProcess::isAlive).toList();
    }

    /** The tail of every service's log, for a failure message. */
    public String logTails(int lines) {
        return all.stream().map(p -> p.logTail(lines)).collect(Collectors.joining("\n"));
    }

    public Path logDir() {
        return options.logDir();
    }

    /** Stops the gateways first (no new work), then the backends and the tokenizer. */
    @Override
    public synchronized void close() {
        for (ServiceProcess p : all.reversed()) {
            p.close();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException alreadyShuttingDown) {
            // called from the hook itself
        }
    }

    /** Walks up from the working directory to the checkout root (the directory with the longctx script). */
    public static Path findRoot() {
        String configured = System.getProperty("longctx.root");
        if (configured != null) return Path.of(configured).toAbsolutePath().normalize();
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("longctx")) && Files.isRegularFile(dir.resolve("pom.xml"))) return dir;
        }
        throw new IllegalStateException("cannot find the longctx checkout root; set -Dlongctx.root");
    }
}
