package dev.longctx.gateway.upstream;

import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Whether tokenizer-service answers: every chat and text prompt needs it, so /health reports the gateway unable
 * to serve while it is down. Polled with the backends' health probe; each answer also refreshes the model's
 * limits.
 */
@Component
public class TokenizerHealth {
    private static final Logger log = LoggerFactory.getLogger(TokenizerHealth.class);

    private final TokenizerClient tokenizer;
    private final ModelLimits limits;
    private final AtomicBoolean ready = new AtomicBoolean(true);

    public TokenizerHealth(TokenizerClient tokenizer, ModelLimits limits) {
        this.tokenizer = tokenizer;
        this.limits = limits;
    }

    public Mono<Void> probe() {
        return tokenizer.info()
                .doOnNext(limits::learn)
                .map(info -> true)
                .onErrorReturn(false)
                .doOnNext(now -> {
                    if (ready.getAndSet(now) != now) {
                        log.info("tokenizer-service is now {}", now ? "answering" : "not answering");
                    }
                })
                .then();
    }

    /** True until a probe says otherwise (and when probes are off). */
    public boolean ready() {
        return ready.get();
    }
}
