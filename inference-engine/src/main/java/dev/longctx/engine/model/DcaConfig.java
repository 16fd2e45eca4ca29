package dev.longctx.engine.model;

/**
 * {@code dual_chunk_attention_config} of config.json (ALGORITHMS.md §1).
 *
 * @param chunkSize                     c: the longest relative distance the model ever sees
 * @param localSize                     l: the overlap that keeps the succ part exact near chunk starts
 * @param originalMaxPositionEmbeddings P: the trained length used by the s_f(T) temperature
 */
public record DcaConfig(int chunkSize, int localSize, int originalMaxPositionEmbeddings) {

    public DcaConfig {
        if (chunkSize <= 0 || localSize < 0 || localSize >= chunkSize) {
            throw new IllegalArgumentException("dual_chunk_attention_config needs chunk_size > local_size >= 0, got chunk_size="
                    + chunkSize + ", local_size=" + localSize);
        }
    }

    /** L = c − l: DCA chunk k covers absolute positions [kL, (k+1)L). */
    public int chunkLen() {
        return chunkSize - localSize;
    }

    /** s_f(T) = max(1, 0.1·ln(T/P) + 1) when P > 0, else 1. */
    public double scale(long totalLength) {
        if (originalMaxPositionEmbeddings <= 0 || totalLength <= 0) return 1.0;
        return Math.max(1.0, 0.1 * Math.log((double) totalLength / originalMaxPositionEmbeddings) + 1.0);
    }
}
