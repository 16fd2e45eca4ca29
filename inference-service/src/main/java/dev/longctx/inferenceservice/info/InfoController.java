package dev.longctx.inferenceservice.info;

import dev.longctx.common.wire.BackendInfo;
import dev.longctx.inferenceservice.engine.EngineHost;
import dev.longctx.inferenceservice.engine.ModelFacts;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

@RestController
class InfoController {

    private final EngineHost host;
    private final ModelFacts model;

    InfoController(EngineHost host, ModelFacts model) {
        this.host = host;
        this.model = model;
    }

    /**
     * vocab_size: the embedding's rows, from config.json (known before the model loads). prefix_cache: the facts that name this instance's KV blocks, so the gateway can name a prompt's blocks.
     * max_model_len is the engine's and so only known once loaded; 0 until then, with ready=false. */
    @GetMapping("/internal/info")
    BackendInfo info() {
        boolean ready = host.state() == EngineHost.State.READY;
        return new BackendInfo(host.servedModelName(), ready ? host.engine().maxModelLen() : 0, ready, model.vocabSize(),
                ready ? host.engine().prefixCache().map(cache -> cache.facts()).orElse(null) : null);
    }
}
