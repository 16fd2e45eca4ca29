package dev.longctx.common.kvindex;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * inference-service → kv-cache-service, PUT /internal/kv/snapshot: every block the instance holds as of
 * sequence number {@code seq} (a full resync); its later events continue at {@code seq + 1}.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record KvSnapshot(
        @JsonProperty("instance_id") String instanceId,
        String url,
        String epoch,
        long seq,
        List<String> hashes) {

    public KvSnapshot {
        hashes = hashes == null ? List.of() : List.copyOf(hashes);
    }
}
