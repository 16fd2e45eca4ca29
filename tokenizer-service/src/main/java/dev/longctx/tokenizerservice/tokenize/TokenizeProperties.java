package dev.longctx.tokenizerservice.tokenize;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How much tokenization work runs at once.
 *
 * @param threads     worker threads for encode/decode (0 = one per core)
 * @param queuedTasks requests that may wait for a worker before new ones are refused
 */
@ConfigurationProperties("longctx.tokenizer")
public record TokenizeProperties(@DefaultValue("0") int threads, @DefaultValue("10000") int queuedTasks) {

    public int effectiveThreads() {
        return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    }
}
