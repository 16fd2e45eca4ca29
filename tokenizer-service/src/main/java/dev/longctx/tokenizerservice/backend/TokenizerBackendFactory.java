package dev.longctx.tokenizerservice.backend;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Opens the tokenizer of a model directory. Declare exactly one bean of this type; without one the service stops
 * at startup saying so. The production bean adapts the engine's tokenizer classes:
 *
 * <pre>{@code
 * @Bean
 * TokenizerBackendFactory hfTokenizerBackendFactory() {
 *     return dir -> new HfTokenizerBackend(HfTokenizer.load(dir), ChatTemplate.load(dir));
 * }
 * }</pre>
 *
 * where {@code HfTokenizerBackend} delegates encode/decode/tokenId to {@code HfTokenizer} (decode with
 * skipSpecialTokens=false), maps each wire {@code ChatMessage} to {@code dev.longctx.engine.tokenizer.ChatMessage}
 * for {@code ChatTemplate.render}, and rethrows {@code ChatTemplateException} as {@link ChatRenderingException}.
 * Tests declare a {@code @Primary} factory, which wins over this one.
 */
@FunctionalInterface
public interface TokenizerBackendFactory {

    TokenizerBackend open(Path modelDir) throws IOException;
}
