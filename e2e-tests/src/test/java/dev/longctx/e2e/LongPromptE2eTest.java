package dev.longctx.e2e;

import static dev.longctx.e2e.Api.chat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.longctx.engine.eval.PasskeyTask;
import dev.longctx.engine.tokenizer.HfTokenizer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/**
 * Prompts up to max_model_len through every hop: a chat prompt of over 200K tokens goes client → gateway →
 * tokenizer-service → gateway → inference-service and comes back completed, and a prompt of max_model_len + 1
 * tokens gets vLLM's 400.
 *
 * <p>This is about transport, body limits and memory, not accuracy, so the stack is set up to prefill 200K
 * tokens on two cores in a couple of minutes: DCA off (its 448-token chunks make sparse index estimation score
 * 64 queries of every chunk against all earlier keys, ~1e13 FLOP at 200K), sparse prefill on with the small
 * uniform budgets of docs/eval (64 verticals and 128 slashes per head) in 32K-token pieces, so estimation is
 * 7 pieces × 64 queries × ~100K keys per head, and a KV cache raised to hold the prompt (13,500 blocks of 16
 * tokens, ~660 MB on a 2 GB heap). Measured on the shared 2-core dev VM: 74 s for the request at load average
 * 2–6 (32K pieces), 343 s at load ~10 with 16K pieces; the client and gateway allow 9–10 minutes.
 * Without DCA the model does not answer from that far back; the test checks that the answer arrives.
 */
class LongPromptE2eTest {
    private static final int PROMPT_TOKENS = 205_000;
    static Stack stack;

    @BeforeAll
    static void start() {
        Path root = Stack.findRoot();
        Path logDir = root.resolve("e2e-tests/target/stack-logs-long-prompt");
        Path sparseConfig = root.resolve("docs/eval/sparse-uniform-64-128.json");
        stack = Stack.start(new Stack.Options(root, root.resolve("models/longctx-tiny-chat"), 0, 1, null, false, true,
                List.of("--longctx.engine.dca=false",
                        "--longctx.engine.sparse-config=" + sparseConfig,
                        "--longctx.engine.max-num-batched-tokens=32768",
                        "--longctx.engine.kv-cache-blocks=13500"),
                List.of("--longctx.gateway.first-token-timeout=10m", "--longctx.gateway.tokenize-timeout=60s"),
                logDir).withBackendHeap("2g"));
    }

    @AfterAll
    static void stop() {
        if (stack != null) stack.close();
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void aPromptOfOver200kTokensIsCompletedThroughTheWholeStack() {
        PasskeyTask.Sample sample;
        try (HfTokenizer tokenizer = HfTokenizer.load(stack.modelDir())) {
            sample = new PasskeyTask(tokenizer).sample(PROMPT_TOKENS, 0.5, new SplittableRandom(7));
        }
        long start = System.nanoTime();
        Api.Response response = Api.of(stack).post("/v1/chat/completions",
                chat(stack.modelName(), sample.userMessage(), "max_tokens", 4, "temperature", 0), Duration.ofMinutes(9));
        double seconds = (System.nanoTime() - start) / 1e9;

        assertThat(response.status()).as(response.body()).isEqualTo(200);
        JsonNode json = response.json();
        assertThat(json.path("usage").path("prompt_tokens").asInt()).isGreaterThanOrEqualTo(200_000);
        assertThat(json.path("usage").path("completion_tokens").asInt()).isBetween(1, 4);
        assertThat(json.path("choices").get(0).path("finish_reason").asString()).isIn("stop", "length");
        System.out.printf("e2e: %d-token chat prompt (%d KB of JSON) completed through the stack in %.1f s%n",
                json.path("usage").path("prompt_tokens").asInt(), sample.userMessage().length() / 1024, seconds);
    }

    @Test
    void aPromptOfMaxModelLenPlusOneTokensGetsVllms400() {
        int maxModelLen = stack.maxModelLen();
        // ids 3..2047 of the 2048-token vocabulary, max_model_len + 1 of them: ~5 MB of JSON, under the body limit
        String ids = IntStream.range(0, maxModelLen + 1).mapToObj(i -> Integer.toString(3 + i % 2000))
                .collect(Collectors.joining(","));
        Api.Response response = Api.of(stack).postRaw("/v1/completions",
                "{\"model\":\"" + stack.modelName() + "\",\"prompt\":[" + ids + "],\"max_tokens\":1}");

        String message = ErrorsE2eTest.assertError(response, 400, "BadRequestError");
        assertThat(message).isEqualTo("This model's maximum context length is " + maxModelLen + " tokens. However, you"
                + " requested " + (maxModelLen + 2) + " tokens (" + (maxModelLen + 1) + " in the messages, 1 in the"
                + " completion). Please reduce the length of the messages or completion.");
        assertThat(response.json().path("error").path("code").asString()).isEqualTo("context_length_exceeded");
        assertThat(response.json().path("error").path("param").asString()).isEqualTo("prompt");
    }
}
