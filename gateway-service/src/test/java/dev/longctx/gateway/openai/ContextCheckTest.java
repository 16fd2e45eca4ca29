package dev.longctx.gateway.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.longctx.gateway.errors.ApiException;
import org.junit.jupiter.api.Test;

class ContextCheckTest {
    @Test
    void maxTokensDefaultsToWhatTheContextLeaves() {
        assertThat(GenerationService.checkContext(900, null, 1000, "prompt")).isEqualTo(100);
        assertThat(GenerationService.checkContext(900, 100, 1000, "prompt")).isEqualTo(100);
    }

    @Test
    void overflowUsesVllmWording() {
        assertThatThrownBy(() -> GenerationService.checkContext(900, 101, 1000, "prompt"))
                .isInstanceOf(ApiException.class)
                .hasMessage("This model's maximum context length is 1000 tokens. However, you requested 1001 tokens "
                        + "(900 in the messages, 101 in the completion). Please reduce the length of the messages or completion.")
                .extracting(e -> ((ApiException) e).status()).isEqualTo(400);
        assertThatThrownBy(() -> GenerationService.checkContext(900, 101, 1000, "messages"))
                .satisfies(e -> {
                    assertThat(((ApiException) e).code()).isEqualTo(dev.longctx.gateway.errors.ErrorCode.CONTEXT_LENGTH_EXCEEDED);
                    assertThat(((ApiException) e).param()).isEqualTo("messages");
                });
        assertThatThrownBy(() -> GenerationService.checkContext(1000, null, 1000, "prompt"))
                .hasMessage("This model's maximum context length is 1000 tokens. However, you requested 1000 tokens "
                        + "in the messages, Please reduce the length of the messages.");
    }

    @Test
    void hugeMaxTokensDoesNotOverflow() {
        assertThatThrownBy(() -> GenerationService.checkContext(10, Integer.MAX_VALUE, 1_048_576, "prompt"))
                .isInstanceOf(ApiException.class);
    }
}
