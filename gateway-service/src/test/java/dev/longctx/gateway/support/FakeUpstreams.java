package dev.longctx.gateway.support;

import dev.longctx.common.wire.GenerateEvent;
import dev.longctx.common.wire.GenerateRequest;
import dev.longctx.common.wire.PackedTokenIds;
import dev.longctx.common.wire.PackedTokenizeResponse;
import dev.longctx.common.wire.TokenLogprob;
import dev.longctx.common.wire.TokenizerInfo;
import dev.longctx.common.wire.TokenizeRequest;
import dev.longctx.common.wire.TokenizeResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import tools.jackson.databind.json.JsonMapper;

/**
 * Real HTTP stand-ins for tokenizer-service and inference-service, deterministic and shared by every test
 * context in the JVM. Behaviour is chosen per request by magic words: the fake tokenizer turns them into
 * magic token ids, which the fake backend acts on, so tests running in one context do not interfere.
 */
public final class FakeUpstreams {
    public static final int MAX_MODEL_LEN = 1000;
    /** Ids 0..9999 exist; the magic ids below are among them. */
    public static final int VOCAB_SIZE = 10_000;
    /** Dies (connection reset) after two events. */
    public static final int DIE = 9001;
    /** Streams a token every 100 ms until cancelled. */
    public static final int HANG = 9002;
    /** Answers 503 QUEUE_FULL. */
    public static final int FULL = 9003;
    /** Completes its stream without a finish event. */
    public static final int TRUNCATE = 9004;
    /** Never sends an event (first-token timeout). */
    public static final int SILENT = 9005;
    /** Sends one event, then nothing (idle timeout). */
    public static final int STALL = 9006;
    /** Answers 400, as an engine refusing the request's values at admission does. */
    public static final int REJECT = 9007;
    /** The prompt is this many tokens long (the word must be followed by the count, e.g. "LONG 990"). */
    public static final int CHAT_TEMPLATE_TOKENS_PER_MESSAGE = 4;
    public static final int GENERATION_PROMPT_TOKENS = 3;
    public static final int NORMAL_OUTPUT_TOKENS = 5;

    private static final JsonMapper JSON = JsonMapper.builder().build();

    public static final FakeUpstreams INSTANCE = new FakeUpstreams();

    private final DisposableServer tokenizer;
    private final DisposableServer backend;
    private final SilentServer silentTokenizer;
    private final int deadPort;
    /** Every generate request the backend received, in order. */
    public final Queue<GenerateRequest> generateRequests = new ConcurrentLinkedQueue<>();
    /** Request ids whose stream the backend saw cancelled (the client side went away). */
    public final Queue<String> cancelled = new ConcurrentLinkedQueue<>();
    public final AtomicInteger tokenizeCalls = new AtomicInteger();

    private FakeUpstreams() {
        tokenizer = HttpServer.create()
                .host("127.0.0.1")
                .port(0)
                .route(routes -> routes
                        .post("/tokenize", (request, response) -> request.receive().aggregate().asString()
                                .flatMap(body -> {
                                    List<Integer> tokens = tokenize(JSON.readValue(body, TokenizeRequest.class));
                                    String answer = JSON.writeValueAsString(new TokenizeResponse(tokens.size(), MAX_MODEL_LEN, tokens));
                                    return response.header("Content-Type", "application/json").sendString(Mono.just(answer)).then();
                                }))
                        .post("/internal/tokenize", (request, response) -> request.receive().aggregate().asString()
                                .flatMap(body -> {
                                    tokenizeCalls.incrementAndGet();
                                    List<Integer> tokens = tokenize(JSON.readValue(body, TokenizeRequest.class));
                                    String answer = JSON.writeValueAsString(
                                            new PackedTokenizeResponse(tokens.size(), MAX_MODEL_LEN, PackedTokenIds.of(tokens)));
                                    return response.header("Content-Type", "application/json").sendString(Mono.just(answer)).then();
                                }))
                        .get("/internal/info", (request, response) -> response
                                .header("Content-Type", "application/json")
                                .sendString(Mono.just(JSON.writeValueAsString(
                                        new TokenizerInfo(MAX_MODEL_LEN, VOCAB_SIZE, VOCAB_SIZE - 1))))))
                .bindNow();
        silentTokenizer = new SilentServer();
        backend = HttpServer.create()
                .host("127.0.0.1")
                .port(0)
                .route(routes -> routes
                        .get("/internal/info", (request, response) -> response
                                .header("Content-Type", "application/json")
                                .sendString(Mono.just("{\"model\":\"test-model\",\"max_model_len\":" + MAX_MODEL_LEN
                                        + ",\"ready\":true,\"vocab_size\":" + VOCAB_SIZE + "}")))
                        .post("/internal/generate", (request, response) -> request.receive()
                                .aggregate()
                                .asString()
                                .flatMap(body -> {
                                    GenerateRequest generate = JSON.readValue(body, GenerateRequest.class);
                                    generateRequests.add(generate);
                                    List<Integer> prompt = generate.promptTokenIds();
                                    if (prompt.contains(REJECT)) {
                                        return response.status(HttpResponseStatus.BAD_REQUEST)
                                                .header("Content-Type", "application/json")
                                                .sendString(Mono.just("{\"error\":{\"message\":\"Token id 9007 is out of"
                                                        + " vocabulary\",\"type\":\"BadRequestError\",\"code\":400}}"))
                                                .then();
                                    }
                                    if (prompt.contains(FULL)) {
                                        return response.status(HttpResponseStatus.SERVICE_UNAVAILABLE)
                                                .header("Content-Type", "application/json")
                                                .sendString(Mono.just("{\"error\":{\"message\":\"QUEUE_FULL\","
                                                        + "\"type\":\"ServiceUnavailableError\",\"code\":503}}"))
                                                .then();
                                    }
                                    return response.header("Content-Type", "application/x-ndjson")
                                            .sendString(events(generate).map(FakeUpstreams::line), java.nio.charset.StandardCharsets.UTF_8)
                                            .then();
                                })))
                .bindNow();
        deadPort = freePort();
    }

    private static String line(GenerateEvent event) {
        return JSON.writeValueAsString(event) + "\n";
    }

    /**
     * Words become token ids 100+; a message costs {@link #CHAT_TEMPLATE_TOKENS_PER_MESSAGE} template tokens
     * and the generation prompt {@link #GENERATION_PROMPT_TOKENS}; "LONG n" pads the prompt to n tokens.
     */
    private static List<Integer> tokenize(TokenizeRequest request) {
        List<Integer> tokens = new ArrayList<>();
        if (request.messages() != null) {
            for (var message : request.messages()) {
                for (int i = 0; i < CHAT_TEMPLATE_TOKENS_PER_MESSAGE; i++) {
                    tokens.add(1);
                }
                words(message.content(), tokens);
            }
            if (Boolean.TRUE.equals(request.addGenerationPrompt())) {
                for (int i = 0; i < GENERATION_PROMPT_TOKENS; i++) {
                    tokens.add(2);
                }
            }
        } else {
            words(request.prompt(), tokens);
        }
        return tokens;
    }

    private static void words(String text, List<Integer> tokens) {
        String[] words = text.isBlank() ? new String[0] : text.trim().split("\\s+");
        for (int i = 0; i < words.length; i++) {
            switch (words[i]) {
                case "DIE" -> tokens.add(DIE);
                case "HANG" -> tokens.add(HANG);
                case "FULL" -> tokens.add(FULL);
                case "TRUNCATE" -> tokens.add(TRUNCATE);
                case "SILENT" -> tokens.add(SILENT);
                case "STALL" -> tokens.add(STALL);
                case "REJECT" -> tokens.add(REJECT);
                case "LONG" -> {
                    int target = Integer.parseInt(words[++i]);
                    while (tokens.size() < target) {
                        tokens.add(7);
                    }
                }
                default -> tokens.add(100 + Math.floorMod(words[i].hashCode(), 1000));
            }
        }
    }

    /**
     * Normal: one token per event, "w0 ", "w1 ", … up to {@link #NORMAL_OUTPUT_TOKENS} or max_tokens; a
     * stop string equal to a word ends the output before that word with finish_reason "stop".
     */
    private Flux<GenerateEvent> events(GenerateRequest request) {
        String id = request.requestId();
        List<Integer> prompt = request.promptTokenIds();
        int maxTokens = request.sampling().maxTokens();
        List<String> stops = request.sampling().stop() == null ? List.of() : request.sampling().stop();
        int cached = prompt.size() / 2;
        if (prompt.contains(HANG)) {
            return Flux.interval(Duration.ZERO, Duration.ofMillis(100))
                    .map(i -> token(id, i.intValue(), "w" + i + " "))
                    .doOnCancel(() -> cancelled.add(id));
        }
        if (prompt.contains(SILENT)) {
            return Flux.<GenerateEvent>never().doOnCancel(() -> cancelled.add(id));
        }
        if (prompt.contains(STALL)) {
            return Flux.just(token(id, 0, "w0 ")).concatWith(Flux.never()).doOnCancel(() -> cancelled.add(id));
        }
        if (prompt.contains(DIE)) {
            return Flux.just(token(id, 0, "w0 "), token(id, 1, "w1 "))
                    .delayElements(Duration.ofMillis(20))
                    .concatWith(Flux.error(new IllegalStateException("backend crashed")));
        }
        int produce = Math.min(maxTokens, NORMAL_OUTPUT_TOKENS);
        List<GenerateEvent> events = new ArrayList<>();
        String finish = maxTokens <= NORMAL_OUTPUT_TOKENS ? "length" : "stop";
        int produced = 0;
        for (int i = 0; i < produce; i++) {
            String word = "w" + i;
            if (stops.contains(word)) {
                finish = "stop";
                break;
            }
            events.add(withLogprobs(token(id, i, word + " "), request.sampling().logprobs()));
            produced++;
        }
        if (prompt.contains(TRUNCATE)) {
            return Flux.fromIterable(events).delayElements(Duration.ofMillis(5));
        }
        events.add(new GenerateEvent(id, List.of(), "", finish, prompt.size(), produced, cached, null));
        return Flux.fromIterable(events).delayElements(Duration.ofMillis(5));
    }

    private static GenerateEvent token(String id, int index, String text) {
        return new GenerateEvent(id, List.of(500 + index), text, null, null, null, null, null);
    }

    /**
     * With logprobs asked for, token 500+i gets logprob -0.5 and alternatives: itself, then 700+j at -1-j, so the
     * gateway's vLLM-style merge (sampled first, duplicates once) is visible.
     */
    private static GenerateEvent withLogprobs(GenerateEvent event, Integer k) {
        if (k == null) {
            return event;
        }
        int id = event.tokenIds().getFirst();
        List<TokenLogprob> top = new ArrayList<>();
        for (int j = 0; j < k; j++) {
            top.add(j == 0 ? new TokenLogprob(id, event.text(), -0.5, null) : new TokenLogprob(700 + j, "alt" + j, -1.0 - j, null));
        }
        return new GenerateEvent(event.requestId(), event.tokenIds(), event.text(), null, null, null, null, null,
                List.of(new TokenLogprob(id, event.text(), -0.5, top)));
    }

    /** A tokenizer-service that accepts connections and never answers. */
    public String silentTokenizerUrl() {
        return "http://127.0.0.1:" + silentTokenizer.port();
    }

    /** Accepts connections, reads nothing, answers nothing. */
    private static final class SilentServer {
        private final ServerSocket socket;
        private final Queue<java.net.Socket> held = new ConcurrentLinkedQueue<>();

        SilentServer() {
            try {
                socket = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            Thread.ofVirtual().start(() -> {
                while (!socket.isClosed()) {
                    try {
                        held.add(socket.accept());
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        int port() {
            return socket.getLocalPort();
        }
    }

    public String tokenizerUrl() {
        return "http://127.0.0.1:" + tokenizer.port();
    }

    public String backendUrl() {
        return "http://127.0.0.1:" + backend.port();
    }

    /** A port nothing listens on: connecting is refused at once. */
    public String deadBackendUrl() {
        return "http://127.0.0.1:" + deadPort;
    }

    public List<GenerateRequest> requestsWithIdPrefix(String prefix) {
        return generateRequests.stream().filter(r -> r.requestId().startsWith(prefix)).toList();
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
