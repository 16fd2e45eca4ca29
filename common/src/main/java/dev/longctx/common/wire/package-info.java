/**
 * The internal wire protocol between the gateway and the backend services (JSON, snake_case).
 *
 * <ul>
 *   <li>tokenizer-service: {@code POST /tokenize} ({@link TokenizeRequest} → {@link TokenizeResponse}, vLLM's shape,
 *       relayed to clients) and {@code POST /detokenize} ({@link DetokenizeRequest} → {@link DetokenizeResponse});
 *       for the gateway itself {@code POST /internal/tokenize} ({@link TokenizeRequest} →
 *       {@link PackedTokenizeResponse}) and {@code GET /internal/info} → {@link TokenizerInfo}.</li>
 *   <li>inference-service: {@code POST /internal/generate} ({@link GenerateRequest}) answers
 *       {@code application/x-ndjson}, one {@link GenerateEvent} per line; {@code GET /internal/info} →
 *       {@link BackendInfo}.</li>
 * </ul>
 *
 * <p>Token ids between services travel as {@link PackedTokenIds}: one JSON string, base64 of little-endian int32
 * (a million ids: 5.3 MB, decoded with one call), chosen over a JSON array (~7 MB, a boxed Integer per id) and a
 * varint (smaller, but decoded byte by byte and without a size known up front). Body limits on every hop follow
 * {@link BodyLimits} from max_model_len.
 */
package dev.longctx.common.wire;
