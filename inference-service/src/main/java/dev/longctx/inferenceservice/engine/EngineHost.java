package dev.longctx.inferenceservice.engine;

import dev.longctx.engine.EngineOptions;
import dev.longctx.engine.serving.EngineStats;
import dev.longctx.engine.serving.InferenceEngine;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.LivenessState;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.context.event.ApplicationStartedEvent;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Owns the engine's lifecycle. Loading a multi-GB model takes minutes, so it runs on its own thread once the
 * server is up: health and metrics answer meanwhile, readiness stays false (see {@link ModelHealthIndicator})
 * until the engine exists, then {@link ReadinessState#ACCEPTING_TRAFFIC} is published.
 */
@Component
public class EngineHost implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(EngineHost.class);
    private static final EngineStats NO_STATS = new EngineStats(0, 0, 0, 0, 0, 0, 0);

    public enum State { LOADING, READY, FAILED }

    private final ObjectProvider<EngineLauncher> launcher;
    private final ModelProperties model;
    private final EngineOptions options;
    private final ApplicationEventPublisher events;

    private volatile State state = State.LOADING;
    private volatile InferenceEngine engine;
    private volatile String failure;
    private Thread loader;

    public EngineHost(ObjectProvider<EngineLauncher> launcher, ModelProperties model, EngineProperties engine,
                      ApplicationEventPublisher events) {
        this.launcher = launcher;
        this.model = model;
        this.options = engine.toEngineOptions();
        this.events = events;
    }

    @EventListener(ApplicationStartedEvent.class)
    synchronized void startLoading() {
        if (loader == null) {
            loader = Thread.ofPlatform().name("model-loader").daemon().start(this::load);
        }
    }

    private void load() {
        Path dir = model.path();
        try {
            if (dir == null) {
                throw new IllegalStateException("longctx.model.path is not set (the model directory to serve)");
            }
            EngineLauncher opener = launcher.getIfAvailable(() -> {
                throw new IllegalStateException("no EngineLauncher bean: declare one returning Engines::open");
            });
            log.info("loading model {} with {}", dir, options);
            long start = System.nanoTime();
            engine = opener.open(dir, options);
            state = State.READY;
            log.info("model {} loaded in {} ms; max_model_len {}", model.servedName(),
                    (System.nanoTime() - start) / 1_000_000, engine.maxModelLen());
            AvailabilityChangeEvent.publish(events, this, ReadinessState.ACCEPTING_TRAFFIC);
        } catch (Throwable e) {
            failure = e.getMessage() != null ? e.getMessage() : e.toString();
            state = State.FAILED;
            log.error("cannot load model from {}: {}", dir, failure, e);
            // A service that will never serve should be restarted by its orchestrator, not sit unready forever.
            AvailabilityChangeEvent.publish(events, this, LivenessState.BROKEN);
        }
    }

    public State state() {
        return state;
    }

    public Optional<String> failure() {
        return Optional.ofNullable(failure);
    }

    /** The engine, or a 503-mapped failure while it is still loading or after it failed to load. */
    public InferenceEngine engine() {
        InferenceEngine current = engine;
        if (current != null) {
            return current;
        }
        throw new ModelNotReadyException(state == State.FAILED
                ? "model failed to load: " + failure
                : "model " + model.servedName() + " is still loading");
    }

    /** Zeros until the engine exists, so metrics can be scraped during loading. */
    public EngineStats stats() {
        InferenceEngine current = engine;
        return current == null ? NO_STATS : current.stats();
    }

    public String servedModelName() {
        return model.servedName();
    }

    public Path modelDir() {
        return model.path();
    }

    @Override
    public void destroy() {
        Thread pending;
        synchronized (this) {
            pending = loader;
        }
        if (pending != null) {
            pending.interrupt();
        }
        InferenceEngine current = engine;
        if (current != null) {
            current.close();
        }
    }
}
