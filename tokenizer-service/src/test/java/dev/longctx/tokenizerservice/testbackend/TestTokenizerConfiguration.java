package dev.longctx.tokenizerservice.testbackend;

import dev.longctx.tokenizerservice.backend.TokenizerBackendFactory;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;

/** TEST ONLY — plugs {@link WhitespaceTokenizerBackend} into the service's tokenizer seam. */
@TestConfiguration(proxyBeanMethods = false)
public class TestTokenizerConfiguration {

    @Bean
    TokenizerBackendFactory whitespaceTokenizerBackendFactory() {
        return modelDir -> new WhitespaceTokenizerBackend();
    }
}
