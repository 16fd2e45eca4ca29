package dev.longctx.inferenceservice.generate;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param statusWait      how long /internal/generate holds its response headers for the request's first output. An
 *                        engine failure within this window becomes an HTTP status (503, 400...); after it the 200 is
 *                        sent so a long prefill does not look like a hung connection, and a failure arrives as the
 *                        stream's last event instead.
 * @param maxBodyBytes    largest request body; 0 = sized from the model's max_position_embeddings
 *                        ({@code BodyLimits.internalBody}), so a prompt of the whole context fits
 * @param bodyReadTimeout longest pause between two reads of a request body before the connection is closed
 * @param bodyTimeout     longest time to receive a whole request body
 */
@ConfigurationProperties("longctx.generate")
public record GenerateProperties(
        @DefaultValue("2s") Duration statusWait,
        @DefaultValue("0") long maxBodyBytes,
        @DefaultValue("30s") Duration bodyReadTimeout,
        @DefaultValue("5m") Duration bodyTimeout) {}
