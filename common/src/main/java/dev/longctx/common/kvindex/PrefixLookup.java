package dev.longctx.common.kvindex;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** gateway → kv-cache-service, POST /internal/kv/lookup: a prompt's full block names in order. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PrefixLookup(List<String> hashes, @JsonProperty("block_size") int blockSize) {

    /** The answer: for every instance holding the first block, how many leading blocks it holds. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Result(List<InstancePrefix> instances) {
        public Result {
            instances = instances == null ? List.of() : List.copyOf(instances);
        }
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record InstancePrefix(@JsonProperty("instance_id") String instanceId, String url, int blocks) {}
}
