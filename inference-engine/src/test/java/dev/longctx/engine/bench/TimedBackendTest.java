package dev.longctx.engine.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.longctx.engine.backend.Backend;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TimedBackendTest {

    /**
     * A method the wrapper does not override would run the interface's default on the wrapper instead of the wrapped
     * backend's own implementation (a CUDA backend's device copy, say), or, for a new abstract method, not compile.
     */
    @Test
    void everyBackendMethodIsDelegatedDefaultsIncluded() {
        List<String> missing = new ArrayList<>();
        for (Method m : Backend.class.getMethods()) {
            if (Modifier.isStatic(m.getModifiers())) continue;
            try {
                Method own = TimedBackend.class.getDeclaredMethod(m.getName(), m.getParameterTypes());
                if (own.isSynthetic() || own.isBridge()) missing.add(m.getName());
            } catch (NoSuchMethodException e) {
                missing.add(m.getName());
            }
        }
        assertThat(missing).as("Backend methods TimedBackend does not delegate").isEmpty();
    }
}
