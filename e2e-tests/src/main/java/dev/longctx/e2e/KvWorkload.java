package dev.longctx.e2e;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The multi-turn long-document workload of issue 12: several documents, each asked {@code questions} questions in
 * turn (one client per document, so documents run concurrently), every prompt = the document + a question.
 * Reports TTFT percentiles, the prompt tokens actually prefilled (prompt − cached) and per-request cached_tokens.
 *
 * <pre>
 * kv-workload --url http://localhost:8000 --model-name NAME [--documents 1] [--questions 6] [--doc-chars 1500]
 *     drive a running gateway (e.g. ./longctx up --instances 2); exits 1 unless every question after a
 *     document's first reports cached_tokens covering the document
 * kv-workload --compare [--model DIR] [--documents 3] [--questions 6] [--doc-chars 6000] [--threads 1]
 *     start 2 instances, Redis, kv-cache-service and two gateways on the same instances, one KV-aware and one
 *     round-robin; run the workload through each (different documents, so neither profits from the other's
 *     cache) and print both, in one run
 * </pre>
 */
public final class KvWorkload {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    record Result(int document, int question, double ttftMs, int promptTokens, int cachedTokens) {}

    public static void main(String[] args) throws Exception {
        String url = null, modelName = null;
        Path model = null;
        int documents = -1, questions = 6, docChars = -1, threads = 1;
        boolean compare = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--url" -> url = args[++i];
                case "--model-name" -> modelName = args[++i];
                case "--model" -> model = Path.of(args[++i]);
                case "--documents" -> documents = Integer.parseInt(args[++i]);
                case "--questions" -> questions = Integer.parseInt(args[++i]);
                case "--doc-chars" -> docChars = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--compare" -> compare = true;
                default -> {
                    System.err.println("kv-workload: unknown argument " + args[i]);
                    System.exit(2);
                }
            }
        }
        if (compare) {
            compare(model, documents < 0 ? 3 : documents, questions, docChars < 0 ? 6000 : docChars, threads);
            return;
        }
        if (url == null || modelName == null) {
            System.err.println("kv-workload: give --url and --model-name, or --compare");
            System.exit(2);
        }
        List<Result> results = run(URI.create(url), modelName, 0, documents < 0 ? 1 : documents, questions,
                docChars < 0 ? 1500 : docChars);
        report("gateway " + url, results);
        System.exit(coversDocuments(results) ? 0 : 1);
    }

    /** Every question after a document's first reused (nearly) the whole first prompt's prefix. */
    static boolean coversDocuments(List<Result> results) {
        boolean ok = true;
        for (Result r : results) {
            if (r.question() == 0) continue;
            Result first = results.stream().filter(x -> x.document() == r.document() && x.question() == 0).findFirst().orElseThrow();
            // the document is the first prompt minus its question (< 48 tokens) and the partial last block
            if (r.cachedTokens() < first.promptTokens() - 64) {
                System.out.printf("document %d question %d: cached_tokens %d does not cover the document (~%d tokens)%n",
                        r.document(), r.question(), r.cachedTokens(), first.promptTokens() - 48);
                ok = false;
            }
        }
        System.out.println(ok ? "every request after a document's first reports cached_tokens covering the document"
                : "FAILED: some repeat questions were not served from a cached prefix");
        return ok;
    }

    static void compare(Path model, int documents, int questions, int docChars, int threads) throws Exception {
        Path root = Stack.findRoot();
        Path logs = root.resolve("e2e-tests/target/kv-workload-logs");
        int redisPort = ServiceProcess.freePort();
        Process redis = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dloader.main=dev.longctx.kvcache.devredis.RedisServerMain", "-cp",
                root.resolve("kv-cache-service/target/kv-cache-service.jar").toString(),
                "org.springframework.boot.loader.launch.PropertiesLauncher", Integer.toString(redisPort))
                .redirectErrorStream(true).redirectOutput(logs.resolve("redis.log").toFile()).start();
        try (Stack stack = Stack.start(new Stack.Options(root, model, 65536, 2, null, false, false,
                List.of("--longctx.engine.threads=" + threads, "--longctx.engine.kv-cache-blocks=16384"),
                List.of("--longctx.gateway.first-token-timeout=10m", "--longctx.gateway.idle-timeout=5m"), logs)
                .withRedis("127.0.0.1:" + redisPort));
             ServiceProcess roundRobin = roundRobinGateway(stack, logs)) {
            // Warm every JVM on the path (JIT, connection pools, the index) through both gateways first, on other
            // documents, so that neither policy's cold requests pay for the other's warm ones.
            run(stack.gatewayUrl(), stack.modelName(), 2000, documents, 2, docChars);
            run(roundRobin.baseUrl(), stack.modelName(), 3000, documents, 2, docChars);
            List<Result> kvAware = run(stack.gatewayUrl(), stack.modelName(), 0, documents, questions, docChars);
            List<Result> rr = run(roundRobin.baseUrl(), stack.modelName(), 1000, documents, questions, docChars);
            report("KV-aware routing", kvAware);
            report("round-robin", rr);
        } finally {
            redis.destroy();
        }
    }

    private static ServiceProcess roundRobinGateway(Stack stack, Path logs) {
        List<String> args = new ArrayList<>(List.of("--longctx.gateway.model-name=" + stack.modelName(),
                "--longctx.gateway.tokenizer-url=" + stack.tokenizer().baseUrl(),
                "--longctx.gateway.first-token-timeout=10m", "--longctx.gateway.idle-timeout=5m",
                "--longctx.gateway.routing.policy=round-robin"));
        for (int i = 0; i < stack.backends().size(); i++) {
            args.add("--longctx.gateway.backends[" + i + "]=" + stack.backends().get(i).baseUrl());
        }
        ServiceProcess gateway = ServiceProcess.start("round-robin-gateway",
                Stack.findRoot().resolve("gateway-service/target/gateway-service.jar"), ServiceProcess.freePort(), "384m",
                false, args, logs);
        gateway.awaitReady(Duration.ofSeconds(120));
        return gateway;
    }

    /** One client per document, asking its questions in turn; {@code seed} picks the documents. */
    static List<Result> run(URI gateway, String model, int seed, int documents, int questions, int docChars)
            throws Exception {
        List<Result> results = Collections.synchronizedList(new ArrayList<>());
        try (ExecutorService clients = Executors.newFixedThreadPool(documents)) {
            List<Future<?>> done = new ArrayList<>();
            for (int d = 0; d < documents; d++) {
                int doc = d;
                String text = document(seed + d, docChars);
                done.add(clients.submit(() -> {
                    for (int q = 0; q < questions; q++) {
                        results.add(ask(gateway, model, doc, q, text + "\n\nQuestion " + (q + 1)
                                + ": which word appears most often in the text above?"));
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) f.get();
        }
        return results;
    }

    static Result ask(URI gateway, String model, int document, int question, String prompt) throws Exception {
        String body = JSON.writeValueAsString(java.util.Map.of("model", model, "prompt", prompt, "max_tokens", 8,
                "temperature", 0, "stream", true, "stream_options", java.util.Map.of("include_usage", true)));
        HttpRequest request = HttpRequest.newBuilder(gateway.resolve("/v1/completions")).timeout(Duration.ofMinutes(15))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
        long start = System.nanoTime();
        long first = 0;
        JsonNode usage = null;
        HttpResponse<java.io.InputStream> response = HTTP.send(request, HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("HTTP " + response.statusCode() + ": " + new String(response.body().readAllBytes(), StandardCharsets.UTF_8));
        }
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            for (String line; (line = lines.readLine()) != null; ) {
                if (!line.startsWith("data: ") || line.equals("data: [DONE]")) continue;
                JsonNode event = JSON.readTree(line.substring(6));
                if (first == 0 && event.path("choices").size() > 0) first = System.nanoTime();
                if (event.hasNonNull("usage")) usage = event.path("usage");
            }
        }
        if (usage == null) throw new IllegalStateException("no usage chunk");
        return new Result(document, question, (first - start) / 1e6, usage.path("prompt_tokens").asInt(),
                usage.path("prompt_tokens_details").path("cached_tokens").asInt());
    }

    static void report(String title, List<Result> results) {
        List<Result> sorted = results.stream().sorted(java.util.Comparator.comparingInt(Result::document)
                .thenComparingInt(Result::question)).toList();
        System.out.println("== " + title + " ==");
        for (Result r : sorted) {
            System.out.printf("  doc %d q %d: TTFT %8.1f ms  prompt %6d  cached %6d%n", r.document(), r.question(),
                    r.ttftMs(), r.promptTokens(), r.cachedTokens());
        }
        double[] ttft = results.stream().mapToDouble(Result::ttftMs).sorted().toArray();
        long prompt = results.stream().mapToLong(Result::promptTokens).sum();
        long prefilled = results.stream().mapToLong(r -> r.promptTokens() - r.cachedTokens()).sum();
        System.out.printf("  %d requests  TTFT p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  prompt tokens %d  prefilled %d (%.0f%% cached)%n",
                ttft.length, pct(ttft, 50), pct(ttft, 90), pct(ttft, 99), prompt, prefilled,
                prompt == 0 ? 0 : 100.0 * (prompt - prefilled) / prompt);
        // The repeat questions are where routing matters: each one's document was prefilled by its first question.
        double[] repeats = results.stream().filter(r -> r.question() > 0).mapToDouble(Result::ttftMs).sorted().toArray();
        long recomputed = results.stream().filter(r -> r.question() > 0 && r.cachedTokens() == 0).count();
        System.out.printf("  TTFT mean %.1f ms; repeat questions: %d, TTFT mean %.1f ms, p50 %.1f ms, p90 %.1f ms, "
                        + "%d prefilled their document again%n",
                java.util.Arrays.stream(ttft).average().orElse(Double.NaN), repeats.length,
                java.util.Arrays.stream(repeats).average().orElse(Double.NaN), pct(repeats, 50), pct(repeats, 90), recomputed);
    }

    static double pct(double[] sorted, double p) {
        if (sorted.length == 0) return Double.NaN;
        int i = (int) Math.ceil(p / 100 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    static String document(long seed, int chars) {
        String[] words = {"river", "stone", "amber", "quiet", "lantern", "harbor", "cedar", "violet", "meadow",
                "copper", "signal", "orbit", "willow", "ember", "granite", "sparrow", "the", "a", "of", "and"};
        Random r = new Random(seed);
        StringBuilder doc = new StringBuilder();
        while (doc.length() < chars) doc.append(words[r.nextInt(words.length)]).append(r.nextInt(12) == 0 ? ". " : " ");
        return doc.toString();
    }
}
