package dev.longctx.tokenizerservice.backend;

import dev.longctx.tokenizerservice.model.ModelMetadata;
import dev.longctx.tokenizerservice.model.ModelProperties;
import java.io.IOException;
import java.io.UncheckedIOException;
import dev.longctx.engine.tokenizer.ChatTemplate;
import dev.longctx.engine.tokenizer.HfTokenizer;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Loads the model's tokenizer at startup. Loading takes well under a second, so it happens before the server
 * accepts traffic and a broken model directory stops the service with the reason instead of failing requests.
 */
@Configuration(proxyBeanMethods = false)
class TokenizerBackendConfiguration {

    /** The production factory; tests declare a {@code @Primary} one. */
    @Bean
    TokenizerBackendFactory hfTokenizerBackendFactory() {
        return dir -> new HfTokenizerBackend(HfTokenizer.load(dir), ChatTemplate.load(dir));
    }

    @Bean
    ModelMetadata modelMetadata(ModelProperties properties) {
        return ModelMetadata.read(properties);
    }

    @Bean(destroyMethod = "close")
    TokenizerBackend tokenizerBackend(ObjectProvider<TokenizerBackendFactory> factory, ModelMetadata model) {
        TokenizerBackendFactory opener = factory.getIfAvailable(() -> {
            throw new IllegalStateException("no TokenizerBackendFactory bean: declare one that opens"
                    + " HfTokenizer + ChatTemplate for a model directory");
        });
        try {
            return opener.open(model.modelDir());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load the tokenizer of " + model.modelDir(), e);
        }
    }
}
