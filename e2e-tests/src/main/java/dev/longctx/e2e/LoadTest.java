package dev.longctx.e2e;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts the stack and drives it with the gateway's {@code BenchServe} (streaming clients, TTFT/ITL percentiles,
 * failures), then stops it. Run through {@code e2e-tests/load-test.sh}, which builds the classpath.
 *
 * <pre>
 * load-test [--model DIR] [--backends 2] [--max-concurrency 64] [--duration 60] [--input-len 32]
 *           [--output-len 32] [--endpoint chat|completions] [--serve]
 * </pre>
 * Without --model it serves {@code models/longctx-tiny-chat} when present, else a random Qwen2 checkpoint.
 * {@code --serve} only starts the stack and keeps it up until interrupted (for manual poking).
 */
public final class LoadTest {

    public static void main(String[] args) throws Exception {
        Path root = Stack.findRoot();
        Path model = null;
        int backends = 2;
        String concurrency = "64", duration = "60", inputLen = "32", outputLen = "32", endpoint = "chat";
        boolean serveOnly = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--model" -> model = Path.of(args[++i]);
                case "--backends" -> backends = Integer.parseInt(args[++i]);
                case "--max-concurrency" -> concurrency = args[++i];
                case "--duration" -> duration = args[++i];
                case "--input-len" -> inputLen = args[++i];
                case "--output-len" -> outputLen = args[++i];
                case "--endpoint" -> endpoint = args[++i];
                case "--serve" -> serveOnly = true;
                default -> {
                    System.err.println("load-test: unknown argument " + args[i]);
                    System.exit(2);
                }
            }
        }
        if (model == null && Files.isDirectory(root.resolve("models/longctx-tiny-chat"))) {
            model = root.resolve("models/longctx-tiny-chat");
        }
        Path logDir = root.resolve("e2e-tests/target/load-test-logs");
        System.out.println("load-test: starting the stack (" + backends + " inference-services) on "
                + (model != null ? model : "a random Qwen2 checkpoint") + "; logs in " + logDir);
        long started = System.nanoTime();
        int exit;
        try (Stack stack = Stack.start(new Stack.Options(root, model, 2048, backends, null, false, false,
                List.of(), List.of(), logDir))) {
            System.out.printf("load-test: stack up in %.1f s; gateway %s, model %s%n",
                    (System.nanoTime() - started) / 1e9, stack.gatewayUrl(), stack.modelName());
            if (serveOnly) {
                System.out.println("load-test: serving until interrupted (Ctrl-C)");
                Thread.currentThread().join();
            }
            Path resultJson = logDir.resolve("bench-result.json");
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
                    "-Dloader.main=dev.longctx.gateway.bench.BenchServe",
                    "-cp", root.resolve("gateway-service/target/gateway-service.jar").toString(),
                    "org.springframework.boot.loader.launch.PropertiesLauncher",
                    "--url", stack.gatewayUrl().toString(), "--model", stack.modelName(), "--endpoint", endpoint,
                    "--max-concurrency", concurrency, "--duration", duration, "--request-rate", "inf",
                    "--num-prompts", "1000000", "--random-input-len", inputLen, "--random-output-len", outputLen,
                    "--ignore-eos", "--result-json", resultJson.toString()));
            System.out.println("load-test: " + String.join(" ", command));
            exit = new ProcessBuilder(command).inheritIO().start().waitFor();
            System.out.println("load-test: bench exited " + exit + "; summary JSON in " + resultJson);
        }
        System.exit(exit);
    }
}
