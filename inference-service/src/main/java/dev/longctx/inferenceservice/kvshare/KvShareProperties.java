package dev.longctx.inferenceservice.kvshare;

import java.net.URI;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * {@code longctx.kv.*}: how this instance shares its prefix KV cache with the cluster.
 *
 * @param indexUrl               base URL of kv-cache-service; unset = publish nothing (pulls still work)
 * @param advertisedUrl          how the gateway and other instances reach this one; unset =
 *                               http://127.0.0.1:&lt;server port&gt; (a single host)
 * @param instanceId             this instance's name in the index; unset = the advertised URL
 * @param flushInterval          how often queued cache events are sent
 * @param heartbeatInterval      longest silence before a heartbeat is sent (kv-cache-service's
 *                               instance-timeout must be several of these)
 * @param linkBandwidth          bytes per second a KV pull is expected to move (the cost model)
 * @param prefillTokensPerSecond prefill speed the cost model compares a pull against until the engine has measured
 *                               its own (then its recent prefill throughput, see {@link PrefillRate})
 * @param pullTimeout            longest a pull may take before the rest is recomputed
 * @param pull                   whether to pull at all when the gateway names a holder
 */
@ConfigurationProperties("longctx.kv")
public record KvShareProperties(
        URI indexUrl,
        URI advertisedUrl,
        String instanceId,
        @DefaultValue("100ms") Duration flushInterval,
        @DefaultValue("2s") Duration heartbeatInterval,
        @DefaultValue("1GB") DataSize linkBandwidth,
        @DefaultValue("2000") double prefillTokensPerSecond,
        @DefaultValue("60s") Duration pullTimeout,
        @DefaultValue("true") boolean pull) {}
