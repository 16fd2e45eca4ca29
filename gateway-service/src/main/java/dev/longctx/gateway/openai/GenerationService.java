package dev.longctx.gateway.openai;

import dev.longctx.common.wire.GenerateRequest;
import dev.longctx.common.wire.SamplingOptions;
import dev.longctx.common.wire.TokenizeRequest;
import dev.longctx.gateway.config.GatewayProperties;
import dev.longctx.gateway.errors.ApiException;
import dev.longctx.gateway.metrics.ServingMetrics;
import dev.longctx.gateway.routing.SequenceRouter;
import dev.longctx.gateway.upstream.ModelLimits;
import dev.longctx.gateway.upstream.TokenizerClient;
import java.util.ArrayList;
import java.util.List;
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
    /** A prompt's tokens and the context length to check them against. */
    private record TokenizedPrompt(List<Integer> tokens, int maxModelLen) {}

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

    public Mono<PreparedRequest> prepare(ValidatedRequest request) {
        long startNanos = System.nanoTime();
        String id = request.kind().idPrefix() + UUID.randomUUID().toString().replace("-", "");
        long created = System.currentTimeMillis() / 1000;
        return Flux.fromIterable(request.prompts())
                .concatMap(this::tokenize)
                .collectList()
                .map(prompts -> plan(id, created, request, prompts, startNanos));
    }

    private Mono<TokenizedPrompt> tokenize(PromptInput prompt) {
        String model = properties.modelName();
        return switch (prompt) {
            case PromptInput.Chat chat -> tokenizer
                    .tokenize(new TokenizeRequest(model, null, chat.messages(), true, false))
                    .map(r -> new TokenizedPrompt(r.tokens(), modelLimits.learn(r.maxModelLen())));
            case PromptInput.Text text -> tokenizer
                    .tokenize(new TokenizeRequest(model, text.text(), null, null, true))
                    .map(r -> new TokenizedPrompt(r.tokens(), modelLimits.learn(r.maxModelLen())));
            case PromptInput.Tokens tokens -> modelLimits.maxModelLen()
                    .map(maxModelLen -> new TokenizedPrompt(tokens.ids(), maxModelLen));
        };
    }

    private PreparedRequest plan(
            String id, long created, ValidatedRequest request, List<TokenizedPrompt> prompts, long startNanos) {
        List<Integer> promptCounts = new ArrayList<>(prompts.size());
        List<GenerateRequest> sequences = new ArrayList<>(prompts.size() * request.n());
        SamplingOptions asked = request.sampling();
        for (TokenizedPrompt prompt : prompts) {
            int maxTokens = checkContext(prompt.tokens().size(), asked.maxTokens(), prompt.maxModelLen());
            promptCounts.add(prompt.tokens().size());
            for (int sample = 0; sample < request.n(); sample++) {
                // Distinct seeds keep n seeded samples reproducible without making them identical.
                Long seed = asked.seed() == null ? null : asked.seed() + sample;
                SamplingOptions sampling = new SamplingOptions(
                        asked.temperature(), asked.topK(), asked.topP(), asked.minP(), asked.repetitionPenalty(),
                        asked.presencePenalty(), asked.frequencyPenalty(), seed, maxTokens, asked.stop(),
                        asked.stopTokenIds(), asked.ignoreEos());
                String sequenceId = id + "-" + sequences.size();
                sequences.add(new GenerateRequest(sequenceId, prompt.tokens(), sampling, null));
            }
        }
        return new PreparedRequest(id, created, properties.modelName(), request, List.copyOf(promptCounts), List.copyOf(sequences), startNanos);
    }

    /** vLLM's context check and wording; returns max_tokens, defaulting to what the context leaves. */
    static int checkContext(int promptTokens, Integer maxTokens, int maxModelLen) {
        if (maxTokens == null) {
            if (promptTokens >= maxModelLen) {
                throw ApiException.badRequest("This model's maximum context length is " + maxModelLen
                        + " tokens. However, you requested " + promptTokens
                        + " tokens in the messages, Please reduce the length of the messages.", null);
            }
            return maxModelLen - promptTokens;
        }
        if ((long) promptTokens + maxTokens > maxModelLen) {
            throw ApiException.badRequest("This model's maximum context length is " + maxModelLen
                    + " tokens. However, you requested " + ((long) promptTokens + maxTokens) + " tokens (" + promptTokens
                    + " in the messages, " + maxTokens
                    + " in the completion). Please reduce the length of the messages or completion.", null);
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
