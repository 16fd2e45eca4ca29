package dev.longctx.gateway.errors;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.timeout.ReadTimeoutException;
import org.junit.jupiter.api.Test;

/** What the gateway answers for failures no handler of its own raised. */
class GlobalErrorHandlerTest {

    @Test
    void aBodyThatStopsArrivingIsTheClientsFaultNotAnInternalError() {
        ApiException e = GlobalErrorHandler.toApiException(ReadTimeoutException.INSTANCE);
        assertThat(e.status()).isEqualTo(408);
        assertThat(e.toBody().error().type()).isEqualTo("BadRequestError");
        assertThat(e.toBody().error().message()).isEqualTo("The request body did not arrive in time.");
    }

    @Test
    void anythingUnforeseenIsAnInternalErrorWithoutDetails() {
        ApiException e = GlobalErrorHandler.toApiException(new IllegalStateException("secret detail"));
        assertThat(e.status()).isEqualTo(500);
        assertThat(e.toBody().error().message()).isEqualTo("Internal server error").doesNotContain("secret");
    }
}
