package dev.longctx.kvcache.index;

import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * {@code longctx.kv-index.*}.
 *
 * @param keyPrefix       prefix of every Redis key (several clusters may share one Redis)
 * @param blockTtl        a block key expires this long after an instance last reported storing it: a safety net
 *                        for entries a lost purge left behind (a live instance re-stores on resync)
 * @param instanceTimeout an instance with no event or heartbeat for this long is dead: its entries are purged
 * @param sweepInterval   how often dead instances are looked for (and the index-size gauge refreshed)
 * @param lookupBatch     block names fetched per pipelined round of a lookup
 */
@Validated
@ConfigurationProperties("longctx.kv-index")
public record KvIndexProperties(
        @NotBlank @DefaultValue("kvidx") String keyPrefix,
        @NotNull @DefaultValue("6h") Duration blockTtl,
        @NotNull @DefaultValue("15s") Duration instanceTimeout,
        @NotNull @DefaultValue("2s") Duration sweepInterval,
        @Min(1) @DefaultValue("64") int lookupBatch) {}
