package dev.longctx.gateway.routing;

import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.PositiveOrZero;
import java.net.URI;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * {@code longctx.gateway.routing.*}: how a sequence's backend is chosen.
 *
 * @param policy          {@code round-robin}, or {@code kv-aware}: score each backend by the prompt tokens it
 *                        has cached (per kv-cache-service) against its queued and running tokens; with no index
 *                        (unset, down, slow) that is the least-loaded backend
 * @param kvIndexUrl      base URL of kv-cache-service; unset = load only
 * @param overlapWeight   score per cached prompt token
 * @param loadWeight      score subtracted per token of load (waiting tokens + running tokens)
 * @param lookupTimeout   longest the index may take before the request is routed by load alone
 * @param loadPollInterval how often each backend's /internal/load (and /internal/info for its block facts) is read
 * @param sessionAffinity send requests carrying the same {@code X-Session-Id} header to the same backend while
 *                        it is healthy, unless the score of another exceeds it by more than {@code affinityWeight}
 * @param affinityWeight  score bonus of the session's previous backend
 * @param pullHints       name the best holder of the prefix in the request when another backend is chosen, so
 *                        that backend can pull the blocks instead of recomputing them
 */
@Validated
@ConfigurationProperties("longctx.gateway.routing")
public record RoutingProperties(
        @NotNull @DefaultValue("round-robin") Policy policy,
        URI kvIndexUrl,
        @PositiveOrZero @DefaultValue("1.0") double overlapWeight,
        @PositiveOrZero @DefaultValue("1.0") double loadWeight,
        @NotNull @DefaultValue("250ms") Duration lookupTimeout,
        @NotNull @DefaultValue("500ms") Duration loadPollInterval,
        @DefaultValue("false") boolean sessionAffinity,
        @PositiveOrZero @DefaultValue("4096") double affinityWeight,
        @DefaultValue("true") boolean pullHints) {

    public enum Policy { ROUND_ROBIN, KV_AWARE }
}
