package dev.longctx.gateway.openai;

import dev.longctx.common.wire.GenerateRequest;
import dev.longctx.common.wire.PackedTokenIds;
import dev.longctx.common.wire.PackedTokenizeResponse;
import dev.longctx.common.wire.SamplingOptions;
import dev.longctx.common.wire.TokenizeRequest;
import dev.longctx.gateway.config.GatewayProperties;
import dev.longctx.gateway.errors.ApiException;
import dev.longctx.gateway.metrics.ServingMetrics;
import dev.longctx.gateway.routing.SequenceRouter;
import dev.longctx.gateway.upstream.ModelFacts;
import dev.longctx.gateway.upstream.ModelLimits;
import dev.longctx.gateway.upstream.TokenizerClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The request flow shared by both endpoints: tokenize, check the context before any engine work, fan out one
 * upstream sequence per choice, and merge their events by choice index.
 */
@Service
public class GenerationService {
    private static final Logger log = LoggerFactory.getLogger(GenerationService.class);

    private final GatewayProperties properties;
    private final TokenizerClient tokenizer;
    private final ModelLimits modelLimits;
    private final SequenceRouter router;
    private final ServingMetrics metrics;

    public GenerationService(
            GatewayProperties properties,
            TokenizerClient tokenizer,
            ModelLimits modelLimits,
            SequenceRouter router,
            ServingMetrics metrics) {
        this.properties = properties;
        this.tokenizer = tokenizer;
        this.modelLimits = modelLimits;
        this.router = router;
        this.metrics = metrics;
    }

    /**
     * Checks what needs the model's limits (token ids and logit_bias against the vocabulary, prompts against the
     * context), tokenizing text and chat first; fails with the client's error before any engine work.
     */
    public Mono<PreparedRequest> prepare(ValidatedRequest request) {
        long startNanos = System.nanoTime();
        String id = request.kind().idPrefix() + UUID.randomUUID().toString().replace("-", "");
        long created = System.currentTimeMillis() / 1000;
        return modelLimits.facts().flatMap(facts -> {
            checkVocabulary(request, facts);
            return Flux.fromIterable(request.prompts())
                    .concatMap(this::tokenize)
                    .collectList()
                    .map(prompts -> plan(id, created, request, prompts, facts, startNanos));
        });
    }

    private Mono<PackedTokenIds> tokenize(PromptInput prompt) {
        String model = properties.modelName();
        return switch (prompt) {
            case PromptInput.Chat chat -> tokenizer
                    .tokenize(new TokenizeRequest(model, null, chat.messages(), true, false))
                    .map(PackedTokenizeResponse::tokens);
            case PromptInput.Text text -> tokenizer
                    .tokenize(new TokenizeRequest(model, text.text(), null, null, true))
                    .map(PackedTokenizeResponse::tokens);
            case PromptInput.Tokens tokens -> Mono.just(tokens.ids());
        };
    }

    /**
     * vLLM refuses ids past the larger of the tokenizer's largest id and the embedding's last row, and logit_bias
     * keys past the embedding: such ids would fail the model step they run in.
     */
    static void checkVocabulary(ValidatedRequest request, ModelFacts facts) {
        for (PromptInput prompt : request.prompts()) {
            if (prompt instanceof PromptInput.Tokens tokens && facts.maxTokenId() >= 0
                    && tokens.ids().max() > facts.maxTokenId()) {
                throw ApiException.invalidValue("Token id " + tokens.ids().max() + " is out of vocabulary", "prompt");
            }
        }
        Map<Integer, Double> bias = request.sampling().logitBias();
        if (bias != null && facts.vocabSize() > 0) {
            List<Integer> outside = bias.keySet().stream().filter(t -> t < 0 || t >= facts.vocabSize()).sorted().toList();
            if (!outside.isEmpty()) {
                throw ApiException.invalidValue("token_id(s) " + outside + " in logit_bias contain out-of-vocab token ids."
                        + " Vocabulary size: " + facts.vocabSize(), "logit_bias");
            }
        }
    }

    private PreparedRequest plan(String id, long created, ValidatedRequest request, List<PackedTokenIds> prompts,
                                 ModelFacts facts, long startNanos) {
        List<Integer> promptCounts = new ArrayList<>(prompts.size());
        List<GenerateRequest> sequences = new ArrayList<>(prompts.size() * request.n());
        SamplingOptions asked = request.sampling();
        String promptParam = request.kind() == ApiKind.CHAT ? "messages" : "prompt";
        for (PackedTokenIds prompt : prompts) {
            int maxTokens = checkContext(prompt.size(), asked.maxTokens(), facts.maxModelLen(), promptParam);
            promptCounts.add(prompt.size());
            for (int sample = 0; sample < request.n(); sample++) {
                // Distinct seeds keep n seeded samples reproducible without making them identical.
                Long seed = asked.seed() == null ? null : asked.seed() + sample;
                String sequenceId = id + "-" + sequences.size();
                sequences.add(new GenerateRequest(sequenceId, prompt, asked.withSeedAndMaxTokens(seed, maxTokens), null));
            }
        }
        return new PreparedRequest(id, created, properties.modelName(), request, List.copyOf(promptCounts), List.copyOf(sequences), startNanos);
    }

    /** vLLM's context check and wording; returns max_tokens, defaulting to what the context leaves. */
    static int checkContext(int promptTokens, Integer maxTokens, int maxModelLen, String param) {
        if (maxTokens == null) {
            if (promptTokens >= maxModelLen) {
                throw ApiException.contextLength("This model's maximum context length is " + maxModelLen
                        + " tokens. However, you requested " + promptTokens
                        + " tokens in the messages, Please reduce the length of the messages.", param);
            }
            return maxModelLen - promptTokens;
        }
        if ((long) promptTokens + maxTokens > maxModelLen) {
            throw ApiException.contextLength("This model's maximum context length is " + maxModelLen
                    + " tokens. However, you requested " + ((long) promptTokens + maxTokens) + " tokens (" + promptTokens
                    + " in the messages, " + maxTokens
                    + " in the completion). Please reduce the length of the messages or completion.", param);
        }
        return maxTokens;
    }

    /** Runs every choice's sequence concurrently; events of different choices interleave as they arrive. */
    public Flux<ChoiceEvent> run(PreparedRequest prepared) {
        List<Flux<ChoiceEvent>> choices = new ArrayList<>(prepared.choices());
        for (int index = 0; index < prepared.choices(); index++) {
            choices.add(observed(prepared, index));
        }
        return Flux.merge(choices)
                .doOnComplete(() -> {
                    metrics.promptTokens(prepared.promptTokens());
                    metrics.e2eLatency(System.nanoTime() - prepared.startNanos());
                })
                // One line per request: enough to follow a request across gateway and backends by its id.
                .doFinally(signal -> log.info("{} {}: {} prompt tokens, {} choice(s), {} ms", prepared.id(),
                        switch (signal) {
                            case ON_COMPLETE -> "completed";
                            case CANCEL -> "cancelled by client";
                            default -> "failed";
                        },
                        prepared.promptTokens(), prepared.choices(),
                        (System.nanoTime() - prepared.startNanos()) / 1_000_000));
    }

    private Flux<ChoiceEvent> observed(PreparedRequest prepared, int index) {
        AtomicLong lastTokenNanos = new AtomicLong();
        AtomicLong generated = new AtomicLong();
        return router.stream(prepared.sequences().get(index))
                .map(event -> new ChoiceEvent(index, event))
                .doOnNext(choiceEvent -> {
                    int tokens = choiceEvent.tokenCount();
                    if (tokens > 0) {
                        long now = System.nanoTime();
                        long last = lastTokenNanos.getAndSet(now);
                        if (last == 0) {
                            metrics.timeToFirstToken(now - prepared.startNanos());
                        } else {
                            metrics.interTokenLatency(now - last);
                        }
                        generated.addAndGet(tokens);
                    }
                    String finish = choiceEvent.event().finishReason();
                    if (finish != null) {
                        Integer reported = choiceEvent.event().completionTokens();
                        metrics.generationTokens(reported != null ? reported : (int) generated.get());
                        metrics.success(finish);
                    }
                });
    }
}
