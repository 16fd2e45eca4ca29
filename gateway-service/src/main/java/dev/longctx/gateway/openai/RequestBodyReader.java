package dev.longctx.gateway.openai;

import dev.longctx.common.wire.BodyLimits;
import dev.longctx.gateway.config.GatewayProperties;
import dev.longctx.gateway.errors.ApiException;
import dev.longctx.gateway.upstream.ModelLimits;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.BodyExtractors;
import org.springframework.web.reactive.function.server.ServerRequest;
import reactor.core.publisher.Mono;

/**
 * Reads a request body whole, up to the limit a prompt of max_model_len tokens needs ({@link BodyLimits}, or
 * {@code max-body-bytes}). This is the first limit on the way in (tokenizer-service and inference-service accept
 * twice as much), so an oversize request is answered here, 413 with the limit in the message: at once when
 * Content-Length says so, else as soon as the limit is crossed.
 */
@Component
public class RequestBodyReader {
    private final GatewayProperties properties;
    private final ModelLimits modelLimits;

    public RequestBodyReader(GatewayProperties properties, ModelLimits modelLimits) {
        this.properties = properties;
        this.modelLimits = modelLimits;
    }

    public Mono<byte[]> read(ServerRequest request) {
        return limit().flatMap(limit -> {
            long declared = request.headers().contentLength().orElse(-1);
            if (declared > limit.bytes()) {
                return Mono.error(tooLarge(limit, declared));
            }
            return DataBufferUtils.join(request.body(BodyExtractors.toDataBuffers()), BodyLimits.asCodecLimit(limit.bytes()))
                    .map(RequestBodyReader::drain)
                    .onErrorMap(DataBufferLimitException.class, e -> tooLarge(limit, -1))
                    .switchIfEmpty(Mono.error(ApiException.malformed("The request body is empty; expected a JSON object.")));
        });
    }

    private record Limit(long bytes, int maxModelLen) {}

    private Mono<Limit> limit() {
        if (properties.maxBodyBytes() > 0) {
            return Mono.just(new Limit(properties.maxBodyBytes(), 0));
        }
        return modelLimits.maxModelLen().map(len -> new Limit(BodyLimits.clientBody(len), len));
    }

    private static ApiException tooLarge(Limit limit, long declared) {
        String how = limit.maxModelLen() > 0
                ? " (" + BodyLimits.CLIENT_BYTES_PER_TOKEN + " bytes for each of the model's " + limit.maxModelLen()
                        + " tokens of context, plus 1 MiB)"
                : " (longctx.gateway.max-body-bytes)";
        return new ApiException(413, (declared > 0 ? "The request body of " + declared + " bytes" : "The request body")
                + " is larger than the limit of " + limit.bytes() + " bytes" + how + ".");
    }

    private static byte[] drain(DataBuffer buffer) {
        try {
            byte[] bytes = new byte[buffer.readableByteCount()];
            buffer.read(bytes);
            return bytes;
        } finally {
            DataBufferUtils.release(buffer);
        }
    }
}
