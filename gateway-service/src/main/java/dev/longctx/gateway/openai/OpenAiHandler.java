package dev.longctx.gateway.openai;

import dev.longctx.gateway.admission.AdmissionControl;
import dev.longctx.gateway.config.GatewayProperties;
import dev.longctx.gateway.errors.ApiException;
import dev.longctx.gateway.errors.JsonErrors;
import dev.longctx.gateway.upstream.ModelLimits;
import dev.longctx.gateway.upstream.TokenizerClient;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.BodyInserter;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import org.springframework.http.ReactiveHttpOutputMessage;

/** The /v1 endpoints: parse, validate, hand to {@link GenerationService}, render. */
@Component
public class OpenAiHandler {
    private final JsonMapper json;
    private final RequestValidator validator;
    private final GenerationService generation;
    private final ResponseRenderer renderer;
    private final AdmissionControl admission;
    private final ModelLimits modelLimits;
    private final TokenizerClient tokenizer;
    private final GatewayProperties properties;
    private final RequestBodyReader bodies;
    private final long startedAt = System.currentTimeMillis() / 1000;

    public OpenAiHandler(
            JsonMapper json,
            RequestValidator validator,
            GenerationService generation,
            ResponseRenderer renderer,
            AdmissionControl admission,
            ModelLimits modelLimits,
            TokenizerClient tokenizer,
            GatewayProperties properties,
            RequestBodyReader bodies) {
        this.tokenizer = tokenizer;
        this.bodies = bodies;
        this.json = json;
        this.validator = validator;
        this.generation = generation;
        this.renderer = renderer;
        this.admission = admission;
        this.modelLimits = modelLimits;
        this.properties = properties;
    }

    public Mono<ServerResponse> chatCompletions(ServerRequest request) {
        return body(request, ChatCompletionRequest.class, ApiKind.CHAT).map(validator::validateChat).flatMap(this::respond);
    }

    public Mono<ServerResponse> completions(ServerRequest request) {
        return body(request, CompletionRequest.class, ApiKind.COMPLETION).map(validator::validateCompletion)
                .flatMap(this::respond);
    }

    /** vLLM's /tokenize and /detokenize, answered by tokenizer-service. */
    public Mono<ServerResponse> relayToTokenizer(ServerRequest request) {
        return bodies.read(request)
                .flatMap(bytes -> tokenizer.relay(request.path(), bytes))
                .flatMap(relayed -> ServerResponse.status(relayed.status())
                        .contentType(MediaType.APPLICATION_JSON)
                        .bodyValue(relayed.body()));
    }

    public Mono<ServerResponse> models(ServerRequest request) {
        return modelLimits.maxModelLen()
                .flatMap(maxModelLen -> ServerResponse.ok()
                        .contentType(MediaType.APPLICATION_JSON)
                        .bodyValue(ModelList.single(properties.modelName(), startedAt, maxModelLen)));
    }

    /** GET /v1/models/{id}: the card /v1/models lists, or OpenAI's 404 for any other id. */
    public Mono<ServerResponse> model(ServerRequest request) {
        String id = request.pathVariable("id").substring(1);   // {*id} captures the leading slash
        if (!id.equals(properties.modelName())) {
            return Mono.error(ApiException.modelNotFound(id));
        }
        return modelLimits.maxModelLen()
                .flatMap(maxModelLen -> ServerResponse.ok()
                        .contentType(MediaType.APPLICATION_JSON)
                        .bodyValue(ModelList.ModelCard.of(id, startedAt, maxModelLen)));
    }

    /**
     * Tokenizing and the context check run first, as a Mono, so their failures are plain JSON errors even for
     * stream=true; only then does the response become a stream.
     */
    private Mono<ServerResponse> respond(ValidatedRequest validated) {
        return generation.prepare(validated).flatMap(prepared -> {
            Flux<ChoiceEvent> events = admission.admit(generation.run(prepared));
            if (validated.stream()) {
                Flux<String> frames = renderer.sse(prepared, events);
                return ServerResponse.ok()
                        .contentType(MediaType.TEXT_EVENT_STREAM)
                        .header("Cache-Control", "no-cache")
                        .header("X-Accel-Buffering", "no")
                        .body(flushedEachFrame(frames));
            }
            return renderer.aggregate(prepared, events)
                    .flatMap(answer -> ServerResponse.ok().contentType(MediaType.APPLICATION_JSON).bodyValue(answer));
        });
    }

    /**
     * Writes frames verbatim ({@code data: } with the space, as vLLM does) and flushes each one, so a token
     * reaches the client when it is generated. The response is committed only with the first frame.
     */
    private static BodyInserter<Flux<String>, ReactiveHttpOutputMessage> flushedEachFrame(Flux<String> frames) {
        return new BodyInserter<>() {
            @Override
            public Mono<Void> insert(ReactiveHttpOutputMessage message, Context context) {
                Function<String, Mono<DataBuffer>> toBuffer = frame ->
                        Mono.just(message.bufferFactory().wrap(frame.getBytes(StandardCharsets.UTF_8)));
                return message.writeAndFlushWith(frames.map(toBuffer));
            }
        };
    }

    /**
     * Parsed here rather than by a codec so any Content-Type is accepted (as vLLM does), the size limit follows
     * max_model_len, and errors read well: not JSON → no param; a field of the wrong type → that field; a field
     * this server does not implement → unsupported_parameter.
     */
    private <T> Mono<T> body(ServerRequest request, Class<T> type, ApiKind kind) {
        return bodies.read(request).map(bytes -> {
            try {
                JsonNode tree = json.readTree(bytes);
                if (tree == null || !tree.isObject()) {
                    throw ApiException.malformed("The request body must be a JSON object.");
                }
                UnsupportedParameters.check(tree, kind);
                return json.treeToValue(tree, type);
            } catch (JacksonException e) {
                throw JsonErrors.describe(e);
            }
        });
    }
}
