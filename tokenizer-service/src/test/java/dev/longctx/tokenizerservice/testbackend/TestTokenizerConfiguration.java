package dev.longctx.tokenizerservice.testbackend;

import dev.longctx.tokenizerservice.backend.TokenizerBackendFactory;
import java.time.Duration;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.webtestclient.autoconfigure.WebTestClientBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;

/** TEST ONLY — plugs {@link WhitespaceTokenizerBackend} into the service's tokenizer seam. */
@TestConfiguration(proxyBeanMethods = false)
public class TestTokenizerConfiguration {

    /** Two cores shared by many builds: WebTestClient's 5 s default times out on a cold first request. */
    @Bean
    WebTestClientBuilderCustomizer patientWebTestClient() {
        return builder -> builder.responseTimeout(Duration.ofSeconds(30));
    }

    /** Primary, so it wins over the production factory once that is merged into main. */
    @Bean
    @Primary
    TokenizerBackendFactory whitespaceTokenizerBackendFactory() {
        return modelDir -> new WhitespaceTokenizerBackend();
    }
}
