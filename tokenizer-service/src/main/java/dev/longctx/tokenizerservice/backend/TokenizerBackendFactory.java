package dev.longctx.tokenizerservice.backend;

import java.io.IOException;
import java.nio.file.Path;

/** Opens the tokenizer of a model directory. Declare exactly one bean of this type. */
@FunctionalInterface
public interface TokenizerBackendFactory {

    TokenizerBackend open(Path modelDir) throws IOException;
}
