package dev.longctx.common.prefix;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * What an inference instance publishes (on GET /internal/info) so that anyone holding a prompt's token ids can
 * name its full KV blocks exactly as that instance does, without asking it: the facts behind the
 * {@link PrefixSalt} and the block size. Two instances with equal facts name equal prefixes equally.
 *
 * @param modelIdentity                  the checkpoint's name and content fingerprint (not a host path)
 * @param kvDtype                        e.g. "fp32"
 * @param dca                            "none" or "chunk_size=C,local_size=l,original_max_position_embeddings=P"
 * @param scaleRule                      "position" or "request"
 * @param originalMaxPositionEmbeddings  P of the DCA config; 0 without DCA
 * @param blockSize                      tokens per KV block
 * @param sparseIdentity                 SHA-256 hex of the sparse config's canonical JSON; null when the instance
 *                                       has no sparse config
 * @param sparseDefault                  whether sparse prefill is on for requests that do not choose
 * @param sparseThreshold                prompts longer than this are prefilled sparse
 * @param kvBlockBytes                   bytes of one block's K/V (all layers), what a pull moves per block
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PrefixFacts(
        @JsonProperty("model_identity") String modelIdentity,
        @JsonProperty("kv_dtype") String kvDtype,
        String dca,
        @JsonProperty("scale_rule") String scaleRule,
        @JsonProperty("original_max_position_embeddings") int originalMaxPositionEmbeddings,
        @JsonProperty("block_size") int blockSize,
        @JsonProperty("sparse_identity") String sparseIdentity,
        @JsonProperty("sparse_default") boolean sparseDefault,
        @JsonProperty("sparse_threshold") int sparseThreshold,
        @JsonProperty("kv_block_bytes") long kvBlockBytes) {

    public static final String POSITION_RULE = "position";
    public static final String REQUEST_RULE = "request";

    /** The DCA field of the salt for a config (null = no DCA). */
    public static String dcaField(Integer chunkSize, Integer localSize, Integer originalMaxPositionEmbeddings) {
        if (chunkSize == null) return "none";
        return "chunk_size=" + chunkSize + ",local_size=" + localSize
                + ",original_max_position_embeddings=" + originalMaxPositionEmbeddings;
    }

    /**
     * The salt of a request's blocks (ALGORITHMS.md §5).
     *
     * @param promptTokens T, the prompt length (prefill uses it for s_f(T) under the request rule and to decide
     *                     sparse prefill)
     * @param sparse       the request's own sparse choice; null = the instance's default
     * @param cacheSalt    the request's cache salt; null = none
     */
    public PrefixSalt salt(int promptTokens, Boolean sparse, String cacheSalt) {
        String requestScale = REQUEST_RULE.equals(scaleRule) && originalMaxPositionEmbeddings > 0
                && promptTokens > originalMaxPositionEmbeddings
                ? Double.toString(scale(promptTokens, originalMaxPositionEmbeddings)) : "";
        boolean sparseOn = sparseIdentity != null && (sparse != null ? sparse : sparseDefault)
                && promptTokens > sparseThreshold;
        String sparseField = sparseOn ? "sparse=" + sparseIdentity + ";threshold=" + sparseThreshold : "";
        return new PrefixSalt(modelIdentity, kvDtype, dca, scaleRule, requestScale, sparseField, cacheSalt);
    }

    /** The names of a prompt's full blocks, as this instance would give them. */
    public List<BlockHash> blockNames(List<Integer> promptTokens, Boolean sparse, String cacheSalt) {
        return BlockHash.chain(promptTokens, blockSize, salt(promptTokens.size(), sparse, cacheSalt).bytes());
    }

    /** s_f(T) = max(1, 0.1·ln(T/P) + 1) (ALGORITHMS.md §1). */
    static double scale(long t, int p) {
        return Math.max(1.0, 0.1 * Math.log((double) t / p) + 1.0);
    }
}
