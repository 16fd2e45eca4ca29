package dev.longctx.e2e;

import static dev.longctx.e2e.Api.completion;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A client that goes away mid-stream must not leave its request generating on a backend. */
@Order(3)
@ExtendWith(StackExtension.class)
class CancellationE2eTest {

    private static final String RUNNING = "vllm:num_requests_running";
    private static final String GENERATED = "vllm:generation_tokens_total";

    @Test
    void aMidStreamDisconnectFreesTheRequestOnTheBackend(Stack stack) {
        var backends = stack.liveBackends();
        assertThat(Metrics.awaitSum(backends, RUNNING, v -> v == 0, Duration.ofSeconds(10))).as("idle before").isZero();
        double generatedBefore = Metrics.sum(backends, GENERATED);
        // Uncancelled, this runs to the context limit: thousands of tokens, many seconds on the test model.
        int maxTokens = stack.maxModelLen() - 64;

        try (Api.Sse sse = Api.of(stack).stream("/v1/completions", completion(stack.modelName(), "Tell me a long story",
                "max_tokens", maxTokens, "ignore_eos", true, "stream", true))) {
            assertThat(sse.status()).isEqualTo(200);
            for (int i = 0; i < 5; i++) assertThat(sse.next()).isNotNull().isNotEqualTo("[DONE]");
            assertThat(Metrics.sum(backends, RUNNING)).as("running while streaming").isEqualTo(1);
        }   // closes the connection mid-stream

        long closed = System.nanoTime();
        double running = Metrics.awaitSum(backends, RUNNING, v -> v == 0, Duration.ofSeconds(5));
        assertThat(running).as("requests still running 5 s after the client left").isZero();
        double generated = Metrics.sum(backends, GENERATED) - generatedBefore;
        assertThat(generated).as("tokens generated before the cancel took effect").isLessThan(maxTokens / 2.0);
        System.out.printf("e2e: request freed %.0f ms after the disconnect, %d tokens generated%n",
                (System.nanoTime() - closed) / 1e6, (long) generated);
    }
}
