package dev.longctx.gateway.upstream;

import dev.longctx.common.wire.TokenizeRequest;
import dev.longctx.gateway.config.GatewayProperties;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The served model's context length. Configured, or else learned from tokenizer-service, which reports it on
 * every /tokenize answer (as vLLM's does); an empty prompt is tokenized when nothing has been learned yet,
 * and inference-service's /internal/info is asked when the tokenizer cannot be reached.
 */
@Component
public class ModelLimits {
    private final GatewayProperties properties;
    private final TokenizerClient tokenizer;
    private final InferenceClient inference;
    private final AtomicInteger learned = new AtomicInteger();

    public ModelLimits(GatewayProperties properties, TokenizerClient tokenizer, InferenceClient inference) {
        this.properties = properties;
        this.tokenizer = tokenizer;
        this.inference = inference;
    }

    public Mono<Integer> maxModelLen() {
        if (properties.maxModelLen() > 0) {
            return Mono.just(properties.maxModelLen());
        }
        int known = learned.get();
        if (known > 0) {
            return Mono.just(known);
        }
        return tokenizer.tokenize(new TokenizeRequest(properties.modelName(), "", null, null, false))
                .map(response -> learn(response.maxModelLen()))
                // /v1/models should still answer while only the tokenizer is down: the backends know it too.
                .onErrorResume(tokenizerDown -> Flux.fromIterable(properties.backends())
                        .concatMap(backend -> inference.info(backend).onErrorResume(e -> Mono.empty()))
                        .filter(info -> info.maxModelLen() > 0)
                        .next()
                        .map(info -> learn(info.maxModelLen()))
                        .switchIfEmpty(Mono.error(tokenizerDown)));
    }

    /** @return the limit to enforce: the configured one if set, else what the tokenizer just reported */
    public int learn(int reportedByTokenizer) {
        if (properties.maxModelLen() > 0) {
            return properties.maxModelLen();
        }
        if (reportedByTokenizer > 0) {
            learned.set(reportedByTokenizer);
        }
        return reportedByTokenizer;
    }
}
