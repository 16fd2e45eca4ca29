package dev.longctx.common.prefix;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The salt of ALGORITHMS.md §5; each field is written as a 4-byte big-endian UTF-8 length then the bytes (null = "").
 * The lengths keep ("ab","c") and ("a","bc") apart.
 *
 * @param modelIdentity the checkpoint, the same on every host that serves it (never a host path)
 * @param kvDtype       what the cache stores, e.g. "fp32"
 * @param dca           "none" or "chunk_size=C,local_size=l,original_max_position_embeddings=P"
 * @param scaleRule     "position" or "request" (which n the s_f(n) temperature uses)
 * @param requestScale  "" unless the rule is request and T > P, then {@code Double.toString(s_f(T))}
 * @param sparse        "" when the block was computed dense, else "sparse=" + SHA-256 hex of the sparse config's
 *                      canonical JSON + ";threshold=" + threshold
 * @param cacheSalt     the optional per-request cache salt (vLLM's {@code cache_salt})
 */
public record PrefixSalt(String modelIdentity, String kvDtype, String dca, String scaleRule,
                         String requestScale, String sparse, String cacheSalt) {

    public byte[] bytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String field : new String[] {modelIdentity, kvDtype, dca, scaleRule, requestScale, sparse, cacheSalt}) {
            byte[] b = field == null ? new byte[0] : field.getBytes(StandardCharsets.UTF_8);
            out.writeBytes(ByteBuffer.allocate(4).putInt(b.length).array());
            out.writeBytes(b);
        }
        return out.toByteArray();
    }
}
