package dev.longctx.engine.kv;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The salt of ALGORITHMS.md §5; each field is written as a 4-byte big-endian UTF-8 length then the bytes (null = "").
 * Two requests share cached prefix blocks only when their salts are equal, i.e. when their K/V are the same.
 *
 * @param modelIdentity the checkpoint (e.g. its absolute directory)
 * @param kvDtype       the cache's element type: "fp32", "bf16"
 * @param dca           "none", or "chunk_size=C,local_size=l,original_max_position_embeddings=P"
 * @param scaleRule     the DCA temperature rule: "position" or "request"
 * @param requestScale  "" unless the rule is request and T > P; then {@code Double.toString(s_f(T))}
 * @param sparse        "" when the blocks are computed densely; else "sparse=" + SHA-256 hex of the sparse config's
 *                      canonical JSON + ";threshold=" + threshold
 * @param cacheSalt     the optional per-request cache salt (vLLM's {@code cache_salt})
 */
public record PrefixSalt(String modelIdentity, String kvDtype, String dca, String scaleRule,
                         String requestScale, String sparse, String cacheSalt) {

    public byte[] bytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String field : new String[] {modelIdentity, kvDtype, dca, scaleRule, requestScale, sparse, cacheSalt}) {
            byte[] b = field == null ? new byte[0] : field.getBytes(StandardCharsets.UTF_8);
            out.write(b.length >>> 24);
            out.write(b.length >>> 16);
            out.write(b.length >>> 8);
            out.write(b.length);
            out.writeBytes(b);
        }
        return out.toByteArray();
    }
}
