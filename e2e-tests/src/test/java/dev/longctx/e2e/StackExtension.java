package dev.longctx.e2e;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Injects the one {@link Stack} shared by every e2e test class of this JVM: started on first use, kept in the
 * root context's store so JUnit closes it after the last class (and the Stack's shutdown hook covers an early
 * JVM exit). A failed test prints the tail of every service's log.
 *
 * <p>The stack: a random Qwen2 model with 4096 positions (long streams last seconds; -D{@value #MODEL_PROPERTY}=DIR
 * serves another model directory), tokenizer-service, two
 * inference-services and the gateway (API key {@link #API_KEY}), plus the rate-limited edge gateway with no live
 * backend. The backends are made easy to saturate for the queue-full test: at most 2 sequences run and 2 wait
 * on each, so a burst of long requests overflows both.
 */
public final class StackExtension implements ParameterResolver, TestWatcher {

    public static final String API_KEY = "e2e-secret-key";
    /** max_position_embeddings of the random model. */
    public static final int RANDOM_MODEL_LEN = 4096;
    /** Set to a model directory to run the suite on it instead of the random model. */
    public static final String MODEL_PROPERTY = "longctx.e2e.model";
    public static final int MAX_WAITING = 2;
    public static final int MAX_NUM_SEQS = 2;

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(StackExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == Stack.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return stack(context);
    }

    /** Set when the stack failed to start, so later classes fail at once instead of starting it again. */
    private static volatile RuntimeException startFailure;

    static Stack stack(ExtensionContext context) {
        if (startFailure != null) throw new IllegalStateException("the e2e stack failed to start", startFailure);
        try {
            return context.getRoot().getStore(NAMESPACE).computeIfAbsent(Stack.class, type -> start(), Stack.class);
        } catch (RuntimeException e) {
            startFailure = e;
            throw e;
        }
    }

    private static Stack start() {
        Path root = Stack.findRoot();
        long started = System.nanoTime();
        String model = System.getProperty(MODEL_PROPERTY, "");
        Stack stack = Stack.start(new Stack.Options(root, model.isBlank() ? null : Path.of(model), RANDOM_MODEL_LEN,
                2, API_KEY, true, true,
                List.of("--longctx.engine.max-waiting=" + MAX_WAITING,
                        "--longctx.engine.max-num-seqs=" + MAX_NUM_SEQS,
                        "--longctx.engine.threads=1"),
                List.of(),
                root.resolve("e2e-tests/target/stack-logs")));
        System.out.printf("e2e: stack up in %.1f s (gateway %s, logs %s)%n",
                (System.nanoTime() - started) / 1e9, stack.gatewayUrl(), stack.logDir());
        return stack;
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        Stack stack = context.getRoot().getStore(NAMESPACE).get(Stack.class, Stack.class);
        if (stack != null) {
            System.err.println("e2e: " + context.getDisplayName() + " failed; service logs:\n" + stack.logTails(30));
        }
    }
}
