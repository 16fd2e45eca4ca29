package dev.longctx.gateway.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code longctx bench serve}: an open-loop load generator for any OpenAI/vLLM-compatible server, reporting
 * what {@code vllm bench serve} reports (TTFT, TPOT, ITL, throughput, failures). Plain JDK HttpClient and
 * virtual threads, so it runs from the gateway jar without starting Spring:
 * {@code java -cp gateway-service.jar -Dloader.main=dev.longctx.gateway.bench.BenchServe
 * org.springframework.boot.loader.launch.PropertiesLauncher --url http://localhost:8000 ...}.
 */
public final class BenchServe {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /**
     * @param requestRate requests per second of the Poisson arrival process; infinite sends all at once
     * @param maxConcurrency most requests in flight; 0 = unbounded
     * @param duration keep issuing requests for this long instead of stopping at numPrompts; null = off
     */
    public record Options(
            URI url,
            String model,
            Endpoint endpoint,
            int numPrompts,
            int randomInputLen,
            int randomOutputLen,
            double requestRate,
            int maxConcurrency,
            Duration duration,
            long seed,
            String apiKey,
            boolean ignoreEos,
            Path resultJson) {}

    public enum Endpoint {
        CHAT("/v1/chat/completions"),
        COMPLETIONS("/v1/completions");

        final String path;

        Endpoint(String path) {
            this.path = path;
        }
    }

    /** One request's timings; {@code itlNanos} are the gaps between consecutive content chunks. */
    public record RequestResult(
            boolean success, String error, int promptTokens, int outputTokens, long ttftNanos, long latencyNanos,
            List<Long> itlNanos) {

        /** Time per output token after the first, as vLLM defines TPOT. */
        double tpotMillis() {
            return outputTokens > 1 ? (latencyNanos - ttftNanos) / 1e6 / (outputTokens - 1) : Double.NaN;
        }
    }

    /** Mean, median and p99 of one latency, in milliseconds. */
    public record Stat(double mean, double median, double p99) {
        static Stat of(List<Double> millis) {
            List<Double> values = millis.stream().filter(v -> !v.isNaN()).sorted().toList();
            if (values.isEmpty()) {
                return new Stat(0, 0, 0);
            }
            double mean = values.stream().mapToDouble(Double::doubleValue).average().orElse(0);
            return new Stat(mean, percentile(values, 50), percentile(values, 99));
        }

        /** Linear interpolation between closest ranks, as numpy.percentile (which vLLM uses) does. */
        private static double percentile(List<Double> sorted, double p) {
            double rank = p / 100 * (sorted.size() - 1);
            int low = (int) Math.floor(rank);
            int high = (int) Math.ceil(rank);
            return sorted.get(low) + (sorted.get(high) - sorted.get(low)) * (rank - low);
        }
    }

    public record Summary(
            int completed,
            int failed,
            double durationSeconds,
            long totalInputTokens,
            long totalOutputTokens,
            double requestThroughput,
            double outputThroughput,
            double totalTokenThroughput,
            Stat ttft,
            Stat tpot,
            Stat itl,
            Stat e2el,
            List<String> errors) {}

    public static void main(String[] args) throws Exception {
        Options options;
        try {
            options = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("bench serve: " + e.getMessage());
            System.err.println(usage());
            System.exit(2);
            return;
        }
        Summary summary = run(options, System.out);
        print(summary, options, System.out);
        if (options.resultJson() != null) {
            Files.writeString(options.resultJson(), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(summary));
        }
        System.exit(summary.completed() > 0 || options.numPrompts() == 0 ? 0 : 1);
    }

    static String usage() {
        return """
                usage: bench serve [--url http://localhost:8000] [--model NAME] [--endpoint completions|chat]
                                   [--num-prompts 100] [--random-input-len 1024] [--random-output-len 128]
                                   [--request-rate inf] [--max-concurrency N] [--duration SECONDS]
                                   [--seed 0] [--api-key KEY] [--ignore-eos] [--result-json FILE]""";
    }

    public static Options parse(String[] args) {
        URI url = URI.create("http://localhost:8000");
        String model = null;
        Endpoint endpoint = Endpoint.COMPLETIONS;
        int numPrompts = 100;
        int inputLen = 1024;
        int outputLen = 128;
        double rate = Double.POSITIVE_INFINITY;
        int maxConcurrency = 0;
        Duration duration = null;
        long seed = 0;
        String apiKey = System.getenv("OPENAI_API_KEY");
        boolean ignoreEos = false;
        Path resultJson = null;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String name = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
            if (name.equals("--ignore-eos")) {
                ignoreEos = true;
                continue;
            }
            if (name.equals("--help") || name.equals("-h")) {
                throw new IllegalArgumentException("help");
            }
            String value;
            if (arg.contains("=")) {
                value = arg.substring(arg.indexOf('=') + 1);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                throw new IllegalArgumentException(name + " needs a value");
            }
            try {
                switch (name) {
                    case "--url", "--base-url" -> url = URI.create(value.endsWith("/") ? value.substring(0, value.length() - 1) : value);
                    case "--model" -> model = value;
                    case "--endpoint" -> endpoint = value.contains("chat") ? Endpoint.CHAT : Endpoint.COMPLETIONS;
                    case "--num-prompts" -> numPrompts = Integer.parseInt(value);
                    case "--random-input-len" -> inputLen = Integer.parseInt(value);
                    case "--random-output-len" -> outputLen = Integer.parseInt(value);
                    case "--request-rate" -> rate = value.equalsIgnoreCase("inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(value);
                    case "--max-concurrency" -> maxConcurrency = Integer.parseInt(value);
                    case "--duration" -> duration = Duration.ofMillis(Math.round(Double.parseDouble(value) * 1000));
                    case "--seed" -> seed = Long.parseLong(value);
                    case "--api-key" -> apiKey = value;
                    case "--result-json" -> resultJson = Path.of(value);
                    default -> throw new IllegalArgumentException("unknown option " + name);
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(name + ": not a number: " + value);
            }
        }
        if (numPrompts < 0 || inputLen < 1 || outputLen < 1 || rate <= 0 || maxConcurrency < 0) {
            throw new IllegalArgumentException("counts and lengths must be positive, --request-rate > 0");
        }
        return new Options(url, model, endpoint, numPrompts, inputLen, outputLen, rate, maxConcurrency, duration, seed,
                apiKey, ignoreEos, resultJson);
    }

    public static Summary run(Options options, PrintStream log) throws InterruptedException {
        HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .executor(Executors.newVirtualThreadPerTaskExecutor())
                .build();
        String model = options.model() != null ? options.model() : discoverModel(http, options);
        Random random = new Random(options.seed());
        int[] vocabulary = options.endpoint() == Endpoint.COMPLETIONS ? discoverTokenIds(http, options, model, random) : null;
        Semaphore concurrency = options.maxConcurrency() > 0 ? new Semaphore(options.maxConcurrency()) : null;
        List<Future<RequestResult>> futures = new ArrayList<>();
        log.printf("bench serve: %s%s model=%s rate=%s max-concurrency=%s%n", options.url(), options.endpoint().path, model,
                Double.isInfinite(options.requestRate()) ? "inf" : options.requestRate(), options.maxConcurrency() > 0 ? options.maxConcurrency() : "unbounded");
        long start = System.nanoTime();
        long deadline = options.duration() == null ? Long.MAX_VALUE : start + options.duration().toNanos();
        try (ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; options.duration() != null || i < options.numPrompts(); i++) {
                if (System.nanoTime() >= deadline) {
                    break;
                }
                String body = requestBody(options, model, vocabulary, random);
                if (concurrency != null) {
                    concurrency.acquire();
                }
                futures.add(workers.submit(() -> {
                    try {
                        return send(http, options, body);
                    } finally {
                        if (concurrency != null) {
                            concurrency.release();
                        }
                    }
                }));
                if (Double.isFinite(options.requestRate())) {
                    // Poisson process: exponential gaps with mean 1/rate.
                    double gapSeconds = -Math.log(1 - random.nextDouble()) / options.requestRate();
                    long sleepNanos = Math.min((long) (gapSeconds * 1e9), Math.max(0, deadline - System.nanoTime()));
                    Thread.sleep(Duration.ofNanos(sleepNanos));
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        List<RequestResult> results = new ArrayList<>();
        for (Future<RequestResult> future : futures) {
            try {
                results.add(future.get());
            } catch (Exception e) {
                results.add(failure(e.toString()));
            }
        }
        return summarize(results, seconds);
    }

    private static String discoverModel(HttpClient http, Options options) {
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(options.url() + "/v1/models")).GET();
            if (options.apiKey() != null) {
                request.header("Authorization", "Bearer " + options.apiKey());
            }
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            return JSON.readTree(response.body()).get("data").get(0).get("id").asString();
        } catch (Exception e) {
            throw new IllegalStateException("could not read the model from " + options.url() + "/v1/models; pass --model", e);
        }
    }

    /**
     * Token ids the served model really has: random text tokenized by the server's own /tokenize (vLLM's route,
     * which the gateway relays). Drawing prompts from these keeps every request valid for whatever model is
     * served, where fixed id ranges fail on a small vocabulary.
     */
    static int[] discoverTokenIds(HttpClient http, Options options, String model, Random random) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 2_000; i++) {
            if (random.nextBoolean()) {
                text.append(WORDS[random.nextInt(WORDS.length)]);
            } else {
                for (int c = 3 + random.nextInt(6); c > 0; c--) {
                    text.append((char) ('a' + random.nextInt(26)));
                }
            }
            text.append(i % 17 == 16 ? ". " : " ");
        }
        ObjectNode body = JSON.createObjectNode();
        body.put("model", model);
        body.put("prompt", text.toString());
        body.put("add_special_tokens", false);
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(options.url() + "/tokenize"))
                    .header("Content-Type", "application/json")
                    .timeout(Duration.ofSeconds(60))
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
            if (options.apiKey() != null) {
                request.header("Authorization", "Bearer " + options.apiKey());
            }
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("HTTP " + response.statusCode() + ": " + response.body());
            }
            int[] ids = JSON.readTree(response.body()).get("tokens").valueStream().mapToInt(JsonNode::asInt)
                    .distinct().sorted().toArray();
            if (ids.length == 0) {
                throw new IllegalStateException("/tokenize answered no tokens");
            }
            return ids;
        } catch (Exception e) {
            throw new IllegalStateException("could not learn the model's token ids from " + options.url()
                    + "/tokenize (" + e.getMessage() + "); use --endpoint chat against a server without it", e);
        }
    }

    /**
     * A random prompt of the asked length. Completions get random token ids drawn from {@code vocabulary} (ids the
     * model has), which makes the input length exact; chat needs text, so it gets random words (about one token
     * each for common tokenizers).
     */
    static String requestBody(Options options, String model, int[] vocabulary, Random random) {
        ObjectNode body = JSON.createObjectNode();
        body.put("model", model);
        body.put("stream", true);
        body.putObject("stream_options").put("include_usage", true);
        body.put("max_tokens", options.randomOutputLen());
        body.put("temperature", 0.0);
        if (options.ignoreEos()) {
            body.put("ignore_eos", true);
        }
        switch (options.endpoint()) {
            case COMPLETIONS -> {
                ArrayNode ids = body.putArray("prompt");
                for (int i = 0; i < options.randomInputLen(); i++) {
                    ids.add(vocabulary[random.nextInt(vocabulary.length)]);
                }
            }
            case CHAT -> {
                StringBuilder text = new StringBuilder();
                for (int i = 0; i < options.randomInputLen(); i++) {
                    text.append(WORDS[random.nextInt(WORDS.length)]).append(' ');
                }
                ArrayNode messages = body.putArray("messages");
                messages.addObject().put("role", "user").put("content", text.toString().trim());
            }
        }
        return JSON.writeValueAsString(body);
    }

    private static final String[] WORDS = {
        "time", "year", "people", "way", "day", "man", "thing", "woman", "life", "child", "world", "school", "state",
        "family", "student", "group", "country", "problem", "hand", "part", "place", "case", "week", "company",
        "system", "program", "question", "work", "government", "number", "night", "point", "home", "water", "room"
    };

    static RequestResult send(HttpClient http, Options options, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(options.url() + options.endpoint().path))
                .header("Content-Type", "application/json")
                .header("Accept", "text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (options.apiKey() != null) {
            request.header("Authorization", "Bearer " + options.apiKey());
        }
        long start = System.nanoTime();
        try {
            HttpResponse<Stream<String>> response = http.send(request.build(), HttpResponse.BodyHandlers.ofLines());
            if (response.statusCode() != 200) {
                String error = String.join("\n", response.body().toList());
                return failure("HTTP " + response.statusCode() + ": " + error);
            }
            return readStream(response.body(), start);
        } catch (IOException e) {
            return failure(e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failure("interrupted");
        }
    }

    private static RequestResult readStream(Stream<String> lines, long start) {
        long ttft = -1;
        long last = 0;
        int chunks = 0;
        int promptTokens = 0;
        int outputTokens = -1;
        boolean done = false;
        List<Long> itl = new ArrayList<>();
        try (lines) {
            for (String line : (Iterable<String>) lines::iterator) {
                if (!line.startsWith("data:")) {
                    continue;
                }
                String data = line.substring(5).trim();
                if (data.equals("[DONE]")) {
                    done = true;
                    break;
                }
                JsonNode chunk = JSON.readTree(data);
                if (chunk.has("error")) {
                    return failure("stream error: " + chunk.get("error").path("message").asString());
                }
                JsonNode usage = chunk.get("usage");
                if (usage != null && !usage.isNull()) {
                    promptTokens = usage.path("prompt_tokens").asInt();
                    outputTokens = usage.path("completion_tokens").asInt();
                }
                if (hasContent(chunk)) {
                    long now = System.nanoTime();
                    if (ttft < 0) {
                        ttft = now - start;
                    } else {
                        itl.add(now - last);
                    }
                    last = now;
                    chunks++;
                }
            }
        }
        if (!done) {
            return failure("stream ended without [DONE]");
        }
        long latency = System.nanoTime() - start;
        return new RequestResult(true, null, promptTokens, outputTokens >= 0 ? outputTokens : chunks,
                Math.max(ttft, 0), latency, itl);
    }

    private static boolean hasContent(JsonNode chunk) {
        JsonNode choices = chunk.get("choices");
        if (choices == null || choices.isEmpty()) {
            return false;
        }
        JsonNode choice = choices.get(0);
        JsonNode text = choice.has("delta") ? choice.get("delta").get("content") : choice.get("text");
        return text != null && text.isString() && !text.asString().isEmpty();
    }

    private static RequestResult failure(String error) {
        return new RequestResult(false, error, 0, 0, 0, 0, List.of());
    }

    static Summary summarize(List<RequestResult> results, double seconds) {
        List<RequestResult> ok = results.stream().filter(RequestResult::success).toList();
        long input = ok.stream().mapToLong(RequestResult::promptTokens).sum();
        long output = ok.stream().mapToLong(RequestResult::outputTokens).sum();
        List<Double> itls = ok.stream().flatMap(r -> r.itlNanos().stream()).map(n -> n / 1e6).toList();
        List<String> errors = results.stream().filter(r -> !r.success()).map(RequestResult::error).distinct().limit(10).toList();
        return new Summary(
                ok.size(),
                results.size() - ok.size(),
                seconds,
                input,
                output,
                ok.size() / seconds,
                output / seconds,
                (input + output) / seconds,
                Stat.of(ok.stream().map(r -> r.ttftNanos() / 1e6).toList()),
                Stat.of(ok.stream().map(RequestResult::tpotMillis).toList()),
                Stat.of(itls),
                Stat.of(ok.stream().map(r -> r.latencyNanos() / 1e6).toList()),
                Collections.unmodifiableList(errors));
    }

    static void print(Summary s, Options options, PrintStream out) {
        out.println("============ Serving Benchmark Result ============");
        row(out, "Successful requests:", s.completed());
        row(out, "Failed requests:", s.failed());
        if (options.maxConcurrency() > 0) {
            row(out, "Maximum request concurrency:", options.maxConcurrency());
        }
        row(out, "Request rate configured (RPS):",
                Double.isInfinite(options.requestRate()) ? "inf" : String.format("%.2f", options.requestRate()));
        row(out, "Benchmark duration (s):", s.durationSeconds());
        row(out, "Total input tokens:", s.totalInputTokens());
        row(out, "Total generated tokens:", s.totalOutputTokens());
        row(out, "Request throughput (req/s):", s.requestThroughput());
        row(out, "Output token throughput (tok/s):", s.outputThroughput());
        row(out, "Total Token throughput (tok/s):", s.totalTokenThroughput());
        section(out, "Time to First Token", "TTFT", s.ttft());
        section(out, "Time per Output Token (excl. 1st token)", "TPOT", s.tpot());
        section(out, "Inter-token Latency", "ITL", s.itl());
        section(out, "End-to-end Latency", "E2EL", s.e2el());
        out.println("==================================================");
        for (String error : s.errors()) {
            out.println("error: " + error);
        }
    }

    private static void section(PrintStream out, String title, String name, Stat stat) {
        int pad = Math.max(0, 50 - title.length() - 2);
        String left = "-".repeat(pad / 2);
        out.println(left + title + "-".repeat(pad - left.length() + 2));
        row(out, "Mean " + name + " (ms):", stat.mean());
        row(out, "Median " + name + " (ms):", stat.median());
        row(out, "P99 " + name + " (ms):", stat.p99());
    }

    private static void row(PrintStream out, String label, Object value) {
        String shown = value instanceof Double d ? String.format("%.2f", d) : String.valueOf(value);
        out.printf("%-40s %-10s%n", label, shown);
    }

    private BenchServe() {}
}
