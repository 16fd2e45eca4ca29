package dev.longctx.gateway.upstream;

import dev.longctx.common.wire.BackendInfo;
import dev.longctx.common.wire.TokenizerInfo;
import dev.longctx.gateway.config.GatewayProperties;
import dev.longctx.gateway.errors.ApiException;
import dev.longctx.gateway.routing.BackendRegistry;
import java.util.concurrent.atomic.AtomicReference;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The served model's limits ({@link ModelFacts}): learned from tokenizer-service's /internal/info (which the
 * health probe refreshes), or from the backends' /internal/info while the tokenizer cannot be reached; a
 * configured max-model-len wins. Each ask is bounded by {@code probe-timeout}, so a tokenizer that accepts
 * connections and never answers delays /v1/models by seconds, not minutes.
 */
@Component
public class ModelLimits {
    private final GatewayProperties properties;
    private final BackendRegistry backends;
    private final TokenizerClient tokenizer;
    private final InferenceClient inference;
    private final AtomicReference<ModelFacts> known = new AtomicReference<>();

    public ModelLimits(GatewayProperties properties, BackendRegistry backends, TokenizerClient tokenizer,
                       InferenceClient inference) {
        this.properties = properties;
        this.backends = backends;
        this.tokenizer = tokenizer;
        this.inference = inference;
    }

    public Mono<ModelFacts> facts() {
        ModelFacts facts = known.get();
        if (facts != null) {
            return Mono.just(facts);
        }
        return tokenizer.info()
                .map(this::learn)
                // /v1/models should still answer while only the tokenizer is down: the backends know the limits too.
                .onErrorResume(tokenizerDown -> Flux.fromIterable(backends.all())
                        .flatMap(backend -> inference.info(backend.uri()).onErrorResume(e -> Mono.empty()))
                        .filter(info -> info.maxModelLen() > 0)
                        .next()
                        .map(this::learn)
                        .switchIfEmpty(Mono.error(ApiException.unavailable(
                                "The model's limits are unknown: tokenizer-service and every backend are unreachable."))));
    }

    public Mono<Integer> maxModelLen() {
        return facts().map(ModelFacts::maxModelLen);
    }

    /** From tokenizer-service: the whole truth, replacing anything learned from a backend. */
    public ModelFacts learn(TokenizerInfo info) {
        ModelFacts facts = new ModelFacts(configuredOr(info.maxModelLen()), info.vocabSize(), info.maxTokenId());
        known.set(facts);
        return facts;
    }

    /** From a backend: its embedding size bounds the ids; kept only until the tokenizer answers. */
    private ModelFacts learn(BackendInfo info) {
        int vocab = info.vocabSize() == null ? 0 : info.vocabSize();
        ModelFacts facts = new ModelFacts(configuredOr(info.maxModelLen()), vocab, vocab - 1);
        known.compareAndSet(null, facts);
        return facts;
    }

    private int configuredOr(int reported) {
        return properties.maxModelLen() > 0 ? properties.maxModelLen() : reported;
    }
}
