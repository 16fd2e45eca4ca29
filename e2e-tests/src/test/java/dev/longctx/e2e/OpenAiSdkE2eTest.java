package dev.longctx.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The official OpenAI Node SDK against the gateway ({@code e2e-tests/openai-sdk/sdk-check.mjs}): plain and
 * streaming chat, models, error mapping. Needs {@code npm ci --prefix e2e-tests/openai-sdk} beforehand; without
 * it the test fails rather than skips, so a CI that forgot the install does not pass silently.
 */
@Order(4)
@ExtendWith(StackExtension.class)
class OpenAiSdkE2eTest {

    @Test
    void theOpenAiNodeSdkParsesPlainAndStreamingChat(Stack stack) throws IOException, InterruptedException {
        Path sdkDir = Stack.findRoot().resolve("e2e-tests/openai-sdk");
        if (!Files.isDirectory(sdkDir.resolve("node_modules/openai"))) {
            fail("the OpenAI SDK is not installed: run `npm ci --prefix e2e-tests/openai-sdk`");
        }
        Path output = stack.logDir().resolve("sdk-check.log");
        ProcessBuilder node = new ProcessBuilder("node", "sdk-check.mjs")
                .directory(sdkDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(output.toFile());
        node.environment().put("BASE_URL", stack.gatewayUrl().resolve("/v1").toString());
        node.environment().put("API_KEY", stack.apiKey());
        node.environment().put("MODEL", stack.modelName());
        Process process;
        try {
            process = node.start();
        } catch (IOException e) {
            throw new AssertionError("cannot run node (Node.js >= 20 must be on the PATH)", e);
        }
        boolean exited = process.waitFor(60, TimeUnit.SECONDS);
        if (!exited) process.destroyForcibly();
        String log = Files.readString(output, StandardCharsets.UTF_8);
        System.out.println("e2e: " + log.strip());

        assertThat(exited).as("sdk-check finished within 60 s:\n" + log).isTrue();
        assertThat(process.exitValue()).as("sdk-check exit code:\n" + log).isZero();
        assertThat(log).contains("sdk-check: ok");
    }
}
