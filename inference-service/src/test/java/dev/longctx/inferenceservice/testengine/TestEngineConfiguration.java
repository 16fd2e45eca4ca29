package dev.longctx.inferenceservice.testengine;

import dev.longctx.inferenceservice.engine.EngineLauncher;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.webtestclient.autoconfigure.WebTestClientBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;

/**
 * TEST ONLY — plugs {@link EchoTestEngine} into the service's engine seam. Loading blocks on {@link LoadGate}, so
 * a test can watch the service before and after the model is loaded.
 */
@TestConfiguration(proxyBeanMethods = false)
public class TestEngineConfiguration {

    public static final int MAX_MODEL_LEN = 4096;

    /** Holds model loading until {@link #open()}. */
    public static final class LoadGate {
        private final CountDownLatch latch;

        public LoadGate(boolean open) {
            this.latch = new CountDownLatch(open ? 0 : 1);
        }

        public void open() {
            latch.countDown();
        }

        void await() throws InterruptedException {
            latch.await();
        }
    }

    /** Two cores shared by many builds: WebTestClient's 5 s default times out on a cold first request. */
    @Bean
    WebTestClientBuilderCustomizer patientWebTestClient() {
        return builder -> builder.responseTimeout(Duration.ofSeconds(30));
    }

    @Bean
    EchoTestEngine echoTestEngine() {
        return new EchoTestEngine(2, 2, Duration.ofMillis(5), MAX_MODEL_LEN);
    }

    /**
     * A test that wants to hold loading declares a closed {@link LoadGate} bean; otherwise loading is immediate.
     * Primary, so it wins over the production launcher once that is merged into main.
     */
    @Bean
    @Primary
    EngineLauncher echoEngineLauncher(EchoTestEngine engine, ObjectProvider<LoadGate> gate) {
        return (modelDir, options) -> {
            gate.getIfAvailable(() -> new LoadGate(true)).await();
            return engine;
        };
    }
}
