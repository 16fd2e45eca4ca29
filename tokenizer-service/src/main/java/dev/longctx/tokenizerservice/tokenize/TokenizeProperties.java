package dev.longctx.tokenizerservice.tokenize;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How much tokenization work runs at once, and how much a request may weigh.
 *
 * @param threads         worker threads for encode/decode (0 = one per core)
 * @param queuedTasks     requests that may wait for a worker before new ones are refused
 * @param maxBodyBytes    largest request body; 0 = sized from max_model_len ({@code BodyLimits.internalBody})
 * @param bodyReadTimeout longest pause between two reads of a request body before the connection is closed
 * @param bodyTimeout     longest time to receive a whole request body
 */
@ConfigurationProperties("longctx.tokenizer")
public record TokenizeProperties(
        @DefaultValue("0") int threads,
        @DefaultValue("10000") int queuedTasks,
        @DefaultValue("0") long maxBodyBytes,
        @DefaultValue("30s") Duration bodyReadTimeout,
        @DefaultValue("5m") Duration bodyTimeout) {

    public int effectiveThreads() {
        return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    }
}
