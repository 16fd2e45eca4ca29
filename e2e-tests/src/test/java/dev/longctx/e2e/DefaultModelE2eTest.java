package dev.longctx.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.longctx.engine.eval.PasskeyTask;
import dev.longctx.engine.tokenizer.HfTokenizer;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The README's promise: the bundled default model, served by the whole stack, answers a passkey question through
 * the OpenAI chat API — at three times the length it was trained at, where only Dual Chunk Attention gets it right.
 */
class DefaultModelE2eTest {
    static Stack stack;

    @BeforeAll
    static void start() {
        Path root = Stack.findRoot();
        stack = Stack.start(new Stack.Options(root, root.resolve("models/longctx-tiny-chat"), 0, 1, null, false, true,
                List.of(), List.of(), root.resolve("e2e-tests/target/stack-logs-default-model")));
    }

    @AfterAll
    static void stop() {
        if (stack != null) stack.close();
    }

    @Test
    void chatAnswersAPasskeyHiddenInALongContext() {
        PasskeyTask.Sample sample;
        try (HfTokenizer tokenizer = HfTokenizer.load(stack.modelDir())) {
            sample = new PasskeyTask(tokenizer).sample(1800, 0.3, new SplittableRandom(11));
        }
        Api.Response response = Api.of(stack).post("/v1/chat/completions",
                Api.chat(stack.modelName(), sample.userMessage(), "max_tokens", 16, "temperature", 0));
        assertThat(response.status()).as(response.body()).isEqualTo(200);
        JsonNode json = response.json();
        assertThat(json.path("usage").path("prompt_tokens").asInt()).isGreaterThan(3 * 512);
        assertThat(json.path("choices").get(0).path("message").path("content").asString()).contains(sample.passkey());
    }

    /**
     * {@code ./longctx bench serve} in its default mode (completions, random token ids) against the default model:
     * the ids come from the server's own /tokenize, so none is past the 2,048-token vocabulary and none fails.
     * Run as the script runs it, from the gateway jar.
     */
    @Test
    void benchServeInItsDefaultModeFinishesWithNoFailedRequest() throws Exception {
        Path root = Stack.findRoot();
        Path output = stack.logDir().resolve("bench-serve.log");
        Process bench = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dloader.main=dev.longctx.gateway.bench.BenchServe",
                "-cp", root.resolve("gateway-service/target/gateway-service.jar").toString(),
                "org.springframework.boot.loader.launch.PropertiesLauncher",
                "--url", stack.gatewayUrl().toString(), "--num-prompts", "6", "--random-input-len", "256",
                "--random-output-len", "8", "--max-concurrency", "3")
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        boolean exited = bench.waitFor(80, java.util.concurrent.TimeUnit.SECONDS);
        if (!exited) bench.destroyForcibly();
        String log = java.nio.file.Files.readString(output);
        System.out.println("e2e: " + log.strip());
        assertThat(exited).as(log).isTrue();
        assertThat(bench.exitValue()).as(log).isZero();
        assertThat(log).contains("/v1/completions").containsPattern("Successful requests:\\s+6\\b")
                .containsPattern("Failed requests:\\s+0\\b");
    }
}
