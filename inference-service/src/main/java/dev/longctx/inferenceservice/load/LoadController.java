package dev.longctx.inferenceservice.load;

import dev.longctx.common.wire.BackendLoad;
import dev.longctx.engine.serving.EngineLoad;
import dev.longctx.engine.serving.EngineStats;
import dev.longctx.inferenceservice.engine.EngineHost;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/** GET /internal/load: queued and running work in tokens, for a load-aware gateway. */
@RestController
class LoadController {
    private final EngineHost host;

    LoadController(EngineHost host) {
        this.host = host;
    }

    /** Off the event loop: the engine's lock may be held for a scheduling step. */
    @GetMapping("/internal/load")
    Mono<BackendLoad> load() {
        return Mono.fromCallable(() -> {
            if (host.state() != EngineHost.State.READY) return new BackendLoad(0, 0, 0, 0);
            EngineLoad load = host.engine().load().orElseGet(() -> {
                EngineStats s = host.stats();
                return new EngineLoad(s.waiting(), s.running(), 0, 0);
            });
            return new BackendLoad(load.waiting(), load.running(), load.waitingTokens(), load.runningTokens());
        }).subscribeOn(Schedulers.boundedElastic());
    }
}
