/**
 * The internal wire protocol between the gateway and the backend services (JSON, snake_case).
 *
 * <ul>
 *   <li>tokenizer-service: {@code POST /tokenize} ({@link TokenizeRequest} → {@link TokenizeResponse}, vLLM's shape)
 *       and {@code POST /detokenize} ({@link DetokenizeRequest} → {@link DetokenizeResponse}).</li>
 *   <li>inference-service: {@code POST /internal/generate} ({@link GenerateRequest}) answers
 *       {@code application/x-ndjson}, one {@link GenerateEvent} per line; {@code GET /internal/info} →
 *       {@link BackendInfo}.</li>
 * </ul>
 */
package dev.longctx.common.wire;
