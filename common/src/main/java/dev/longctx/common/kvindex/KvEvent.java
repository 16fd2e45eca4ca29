package dev.longctx.common.kvindex;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * One change of an instance's prefix cache: blocks {@code stored} or {@code removed} (hex names), or the whole
 * cache {@code cleared}. Sequence numbers are consecutive per instance run (epoch), starting at 1.
 *
 * @param atMillis when the instance saw the change (for the index's event-lag metric)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record KvEvent(long seq, Type type, List<String> hashes, @JsonProperty("at_ms") long atMillis) {

    public enum Type {
        @JsonProperty("stored") STORED,
        @JsonProperty("removed") REMOVED,
        @JsonProperty("cleared") CLEARED
    }

    public KvEvent {
        hashes = hashes == null ? List.of() : List.copyOf(hashes);
    }
}
