package dev.longctx.common.kvindex;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * inference-service → kv-cache-service, POST /internal/kv/events: the next events of one instance, or none (a
 * heartbeat). {@code lastSeq} is the instance's latest sequence number including these events, so a heartbeat
 * also reveals a gap.
 *
 * @param instanceId the instance's name in the index (its advertised URL unless configured)
 * @param url        where other instances pull its blocks and the gateway routes to it
 * @param epoch      one value per instance run: a change means the instance restarted with an empty cache
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record KvEventBatch(
        @JsonProperty("instance_id") String instanceId,
        String url,
        String epoch,
        @JsonProperty("last_seq") long lastSeq,
        List<KvEvent> events) {

    public KvEventBatch {
        events = events == null ? List.of() : List.copyOf(events);
    }
}
