package dev.longctx.gateway.upstream;

import dev.longctx.common.wire.TokenizeRequest;
import dev.longctx.gateway.config.GatewayProperties;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * The served model's context length. Configured, or else learned from tokenizer-service, which reports it on
 * every /tokenize answer (as vLLM's does); an empty prompt is tokenized when nothing has been learned yet.
 */
@Component
public class ModelLimits {
    private final GatewayProperties properties;
    private final TokenizerClient tokenizer;
    private final AtomicInteger learned = new AtomicInteger();

    public ModelLimits(GatewayProperties properties, TokenizerClient tokenizer) {
        this.properties = properties;
        this.tokenizer = tokenizer;
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
                .map(response -> learn(response.maxModelLen()));
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
