package dev.longctx.engine.attention;

import dev.longctx.engine.model.DcaConfig;
import java.util.Locale;

/**
 * Which length n the DCA temperature s_f(n) of a query row uses (ALGORITHMS.md §1). Logits are multiplied by
 * s_f(n)² at attention time; cached keys carry no scale. Without DCA (or while n ≤ P) both give s_f = 1.
 */
public enum DcaScaleRule {
    /**
     * The default: the query at absolute position p uses n = p + 1, the keys it can see. A row's result then
     * depends only on the tokens before it, so K/V of a prefix are the same in every request: prefix caching,
     * preemption by recompute and chunked prefill are exact.
     */
    POSITION,
    /**
     * The open implementation's rule, kept for parity: every query of a request uses n = T, the prompt length in
     * prefill, the current length in decode. K/V of layers ≥ 1 then depend on T once T > P.
     */
    REQUEST;

    /** "position", "request": the flag value and the prefix salt's field. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @throws IllegalArgumentException naming the accepted values */
    public static DcaScaleRule parse(String value) {
        if (value != null) {
            for (DcaScaleRule r : values()) if (r.id().equals(value.trim().toLowerCase(Locale.ROOT))) return r;
        }
        throw new IllegalArgumentException("unknown DCA scale rule '" + value + "': expected position or request");
    }

    /** s_f(n) of the query at absolute position p of a request of length T. */
    public double scale(DcaConfig dca, long position, long requestLength) {
        if (dca == null) return 1.0;
        return dca.scale(this == POSITION ? position + 1 : requestLength);
    }
}
