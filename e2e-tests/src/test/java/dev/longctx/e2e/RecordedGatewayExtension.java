package dev.longctx.e2e;

import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * For the Java-client tests: injects a {@link RecordingProxy} in front of the shared stack's gateway (one for the
 * JVM, closed with the stack), empties its transcript before each test, and prints the transcript when a test
 * fails, so the failure shows the raw request and response the client choked on. Use together with
 * {@link StackExtension}, after it.
 */
public final class RecordedGatewayExtension implements ParameterResolver, BeforeEachCallback, TestWatcher {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(RecordedGatewayExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == RecordingProxy.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return proxy(context);
    }

    private static RecordingProxy proxy(ExtensionContext context) {
        Stack stack = StackExtension.stack(context);
        return context.getRoot().getStore(NAMESPACE).computeIfAbsent(RecordingProxy.class,
                type -> RecordingProxy.start(stack.gatewayUrl()), RecordingProxy.class);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        proxy(context).clear();
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        RecordingProxy proxy = context.getRoot().getStore(NAMESPACE).get(RecordingProxy.class, RecordingProxy.class);
        if (proxy != null) {
            System.err.println("e2e: " + context.getDisplayName() + " failed; raw HTTP exchange through the gateway:"
                    + proxy.transcript());
        }
    }
}
