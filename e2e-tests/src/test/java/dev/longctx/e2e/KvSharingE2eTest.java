package dev.longctx.e2e;

import static dev.longctx.e2e.Api.completion;
import static dev.longctx.e2e.Api.obj;
import static org.assertj.core.api.Assertions.assertThat;

import dev.longctx.common.prefix.BlockHash;
import dev.longctx.common.prefix.PrefixFacts;
import dev.longctx.kvcache.redis.RealRedis;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/**
 * The shared prefix KV cache across instances (issue 12) with a real Redis ({@link RealRedis} prints which),
 * kv-cache-service, two inference-services and a KV-aware gateway, all real processes. Its own stack, run first
 * and stopped before the shared stack of the other classes starts. Backends hold 200 blocks of 16 tokens, so a
 * few long prompts evict.
 */
@Order(1)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KvSharingE2eTest {
    static final int BLOCK = 16;
    static RealRedis redis;
    static Stack stack;
    static Api api;

    @BeforeAll
    @Timeout(240)
    static void start() {
        redis = RealRedis.launch();
        java.nio.file.Path root = Stack.findRoot();
        stack = Stack.start(new Stack.Options(root, null, StackExtension.RANDOM_MODEL_LEN, 2, null, false, true,
                List.of("--longctx.engine.threads=1", "--longctx.engine.kv-cache-blocks=200"), List.of(),
                root.resolve("e2e-tests/target/kv-stack-logs")).withRedis(redis.host() + ":" + redis.port()));
        api = Api.of(stack);
    }

    @AfterAll
    static void stop() {
        if (stack != null) stack.close();
        if (redis != null) redis.close();
    }

    /** A document of unrelated words, ~{@code chars} characters (the workload tool's). */
    static String document(long seed, int chars) {
        return KvWorkload.document(seed, chars);
    }

    record Timed(long ttftNanos, int promptTokens, int cachedTokens) {}

    /** A streamed completion: time to its first token and the usage it reports. */
    static Timed ask(String prompt) {
        long start = System.nanoTime();
        long first = 0;
        JsonNode usage = null;
        try (Api.Sse sse = api.stream("/v1/completions", completion(stack.modelName(), prompt, "max_tokens", 4,
                "temperature", 0, "ignore_eos", true, "stream", true, "stream_options", obj("include_usage", true)))) {
            assertThat(sse.status()).isEqualTo(200);
            for (String event; (event = sse.next()) != null && !event.equals("[DONE]"); ) {
                JsonNode json = Api.JSON.readTree(event);
                if (first == 0 && json.path("choices").size() > 0) first = System.nanoTime();
                if (json.has("usage") && !json.path("usage").isNull()) usage = json.path("usage");
            }
        }
        assertThat(usage).as("usage chunk").isNotNull();
        return new Timed(first - start, usage.path("prompt_tokens").asInt(),
                usage.path("prompt_tokens_details").path("cached_tokens").asInt());
    }

    static Map<String, Integer> lookup(List<String> names) {
        Api.Response response = new Api(stack.kvCache().baseUrl(), null).post("/internal/kv/lookup",
                obj("hashes", names, "block_size", BLOCK));
        assertThat(response.status()).as(response.body()).isEqualTo(200);
        Map<String, Integer> held = new java.util.HashMap<>();
        response.json().path("instances").forEach(i -> held.put(i.path("url").asString(), i.path("blocks").asInt()));
        return held;
    }

    static List<String> blockNames(ServiceProcess backend, int[] tokens) {
        JsonNode facts = new Api(backend.baseUrl(), null).get("/internal/info").json().path("prefix_cache");
        PrefixFacts f = Api.JSON.treeToValue(facts, PrefixFacts.class);
        return f.blockNames(IntStream.of(tokens).boxed().toList(), null, null).stream().map(BlockHash::hex).toList();
    }

    /** POST /internal/generate straight to one backend; returns the final event. */
    static JsonNode generate(ServiceProcess backend, int[] tokens, Map<String, Object> kvPull) {
        Map<String, Object> body = obj("request_id", "e2e-" + System.nanoTime(), "prompt_token_ids", IntStream.of(tokens).boxed().toList(),
                "sampling", obj("temperature", 0, "max_tokens", 8, "ignore_eos", true));
        if (kvPull != null) body.put("kv_pull", kvPull);
        Api.Response response = new Api(backend.baseUrl(), null).post("/internal/generate", body);
        assertThat(response.status()).as(response.body()).isEqualTo(200);
        List<JsonNode> events = response.body().lines().filter(l -> !l.isBlank()).map(Api.JSON::readTree).toList();
        List<Integer> generated = events.stream().flatMap(e -> java.util.stream.StreamSupport.stream(
                e.path("token_ids").spliterator(), false)).map(JsonNode::asInt).toList();
        return ((tools.jackson.databind.node.ObjectNode) events.getLast()).putPOJO("all_tokens", generated);
    }

    static int[] randomTokens(long seed, int n) {
        return new Random(seed).ints(n, 3, RandomQwen2Model.ENDOFTEXT_ID).toArray();
    }

    static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    @Test
    @Order(1)
    void aRepeatPrefixIsRoutedToItsHolderReportsCachedTokensAndStartsFaster() throws InterruptedException {
        ask(document(100, 300));                                   // warm both paths up (JIT) before timing
        ask(document(101, 300));
        String doc = document(1, 1600);
        Timed cold = ask(doc + "\nQuestion: which word comes first?");
        List<ServiceProcess> backends = stack.backends();
        await("the index to hold the document", Duration.ofSeconds(10), () -> {
            Api.Response r = new Api(stack.kvCache().baseUrl(), null).get("/internal/kv/instances");
            return r.status() == 200 && r.json().properties().stream()
                    .anyMatch(e -> e.getValue().asInt() >= cold.promptTokens() / BLOCK - 2);
        });
        double[] hitsBefore = backends.stream().mapToDouble(b -> Metrics.scrape(b.baseUrl(), "vllm:prefix_cache_hits_total")).toArray();

        Timed warm = ask(doc + "\nQuestion: which word comes last?");
        double[] hitsAfter = backends.stream().mapToDouble(b -> Metrics.scrape(b.baseUrl(), "vllm:prefix_cache_hits_total")).toArray();
        System.out.printf("e2e kv: cold TTFT %.1f ms (%d prompt tokens), warm TTFT %.1f ms (%d cached of %d)%n",
                cold.ttftNanos() / 1e6, cold.promptTokens(), warm.ttftNanos() / 1e6, warm.cachedTokens(), warm.promptTokens());

        assertThat(warm.cachedTokens()).as("cached_tokens of the repeat").isGreaterThanOrEqualTo(cold.promptTokens() - 2 * BLOCK - 16);
        assertThat(hitsAfter[0] - hitsBefore[0] + hitsAfter[1] - hitsBefore[1]).isEqualTo(warm.cachedTokens());
        assertThat(warm.ttftNanos()).as("warm TTFT below cold").isLessThan(cold.ttftNanos());
    }

    @Test
    @Order(2)
    void aPulledPrefixGivesTheOutputOfARecompute() {
        ServiceProcess holder = stack.backends().get(0), puller = stack.backends().get(1);
        int[] prompt = randomTokens(7, 600);
        JsonNode computed = generate(holder, prompt, null);
        int blocks = blockNames(holder, prompt).size();
        double pulledBefore = Metrics.scrape(puller.baseUrl(), "longctx_kv_pulled_blocks_total");

        JsonNode pulled = generate(puller, prompt, obj("source", holder.baseUrl().toString(), "blocks", blocks));

        assertThat(Metrics.scrape(puller.baseUrl(), "longctx_kv_pulled_blocks_total") - pulledBefore)
                .isEqualTo((599 / BLOCK));
        assertThat(pulled.path("cached_tokens").asInt()).isEqualTo(599 / BLOCK * BLOCK);
        assertThat(pulled.path("all_tokens")).isEqualTo(computed.path("all_tokens"));
    }

    @Test
    @Order(3)
    void afterTheHolderEvictsTheBlocksTheIndexForgetsThem() throws InterruptedException {
        ServiceProcess holder = stack.backends().get(0);
        int[] prompt = randomTokens(8, 500);
        generate(holder, prompt, null);
        List<String> names = blockNames(holder, prompt);
        await("the index to list the holder", Duration.ofSeconds(10),
                () -> lookup(names).getOrDefault(holder.baseUrl().toString(), 0) == names.size());
        for (int i = 0; i < 3; i++) generate(holder, randomTokens(100 + i, 1500), null);   // 3 × 94 blocks > 200
        await("the index to forget the evicted blocks", Duration.ofSeconds(10),
                () -> !lookup(names).containsKey(holder.baseUrl().toString()));
    }

    @Test
    @Order(4)
    void withRedisKilledRequestsStillSucceedAndResyncRebuildsTheIndexAfterwards() throws InterruptedException {
        ServiceProcess backend = stack.backends().get(1);
        int[] prompt = randomTokens(9, 400);
        generate(backend, prompt, null);
        List<String> names = blockNames(backend, prompt);
        await("the index to list the backend", Duration.ofSeconds(10), () -> lookup(names).containsKey(backend.baseUrl().toString()));

        redis.stop();
        try {
            for (int i = 0; i < 4; i++) {
                Api.Response r = api.post("/v1/completions", completion(stack.modelName(), document(200 + i, 400), "max_tokens", 4));
                assertThat(r.status()).as("request %d without Redis: %s", i, r.body()).isEqualTo(200);
            }
        } finally {
            redis.start();
        }
        // Redis came back empty; the instances' next heartbeats are told to resync and send everything they hold.
        await("the index to be rebuilt", Duration.ofSeconds(15), () -> {
            try {
                return lookup(names).getOrDefault(backend.baseUrl().toString(), 0) == names.size();
            } catch (AssertionError redisStillWakingUp) {
                return false;
            }
        });
    }

    @Test
    @Order(5)
    @Timeout(150)
    void aRestartedInstancesStaleEntriesDisappear() throws InterruptedException {
        ServiceProcess backend = stack.backends().get(1);
        int[] prompt = randomTokens(10, 400);
        generate(backend, prompt, null);
        List<String> names = blockNames(backend, prompt);
        String url = backend.baseUrl().toString();
        await("the index to list the backend", Duration.ofSeconds(10), () -> lookup(names).containsKey(url));

        ServiceProcess restarted = stack.restartBackend(1);
        await("the stale entries to go", Duration.ofSeconds(20), () -> !lookup(names).containsKey(url));
        // and the restarted instance is tracked again (its snapshot, empty)
        await("the restarted instance to register", Duration.ofSeconds(10), () -> new Api(stack.kvCache().baseUrl(), null)
                .get("/internal/kv/instances").json().has(restarted.baseUrl().toString()));
    }
}
