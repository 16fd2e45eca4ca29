package dev.longctx.common.wire;

/**
 * How large a request body each service accepts, derived from the served context length so that a prompt of
 * max_model_len tokens passes every hop. One formula for all three services keeps the gateway's limit the first
 * to answer: what it lets through always fits the tokenizer's and the backend's.
 *
 * <ul>
 *   <li>client → gateway: text at up to {@value #CLIENT_BYTES_PER_TOKEN} bytes per token (English is ~4, JSON-escaped
 *       CJK ~12, a token-id array ~7) plus {@value #SLACK_BYTES} bytes for the rest of the request;</li>
 *   <li>gateway → tokenizer-service / inference-service: twice that, so the gateway's envelope around a text or a
 *       packed prompt (5.3 bytes per id) never reaches a downstream limit first.</li>
 * </ul>
 */
public final class BodyLimits {
    public static final int CLIENT_BYTES_PER_TOKEN = 16;
    public static final int SLACK_BYTES = 1 << 20;

    private BodyLimits() {}

    /** The most a client may send the gateway for a model of {@code maxModelLen} tokens. */
    public static long clientBody(int maxModelLen) {
        return (long) Math.max(0, maxModelLen) * CLIENT_BYTES_PER_TOKEN + SLACK_BYTES;
    }

    /** The most one service accepts from another; always above {@link #clientBody}. */
    public static long internalBody(int maxModelLen) {
        return 2 * clientBody(maxModelLen);
    }

    /** For codecs, whose limits are ints: capped at 1 GiB (a 33M-token context). */
    public static int asCodecLimit(long bytes) {
        return (int) Math.min(bytes, 1L << 30);
    }
}
