package dev.longctx.inferenceservice;

import java.nio.file.Path;
import org.springframework.test.context.DynamicPropertyRegistry;

/** Properties every inference-service test context shares. */
public final class InferenceServiceTestSupport {

    private InferenceServiceTestSupport() {}

    public static void testModel(DynamicPropertyRegistry registry) {
        registry.add("longctx.model.path", () -> Path.of("src/test/resources/test-model").toAbsolutePath().toString());
        registry.add("longctx.model.name", () -> "tiny-test");
    }
}
