package dev.longctx.inferenceservice.generate;

import dev.longctx.engine.model.GenerationConfig;
import dev.longctx.engine.model.GenerationConfigLoader;
import dev.longctx.common.wire.SamplingOptions;
import dev.longctx.engine.sampling.SamplingParams;
import dev.longctx.engine.serving.EngineException;
import dev.longctx.inferenceservice.engine.ModelProperties;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.springframework.stereotype.Component;

/** Fills a request's unset sampling fields: the request, then generation_config.json, then vLLM's defaults. */
@Component
class SamplingResolver {

    private final GenerationConfig model;

    SamplingResolver(ModelProperties properties) {
        this.model = properties.path() == null ? GenerationConfig.empty() : GenerationConfigLoader.load(properties.path());
    }

    /**
     * @throws EngineException INVALID_REQUEST when the values are out of range or the prompt plus max_tokens
     *                         exceeds the context (vLLM's wording, so clients see familiar messages)
     */
    SamplingParams resolve(SamplingOptions request, int promptTokens, int maxModelLen) {
        SamplingOptions r = request != null ? request
                : new SamplingOptions(null, null, null, null, null, null, null, null, null, null, null, null);
        if (promptTokens >= maxModelLen) {
            throw invalid("This model's maximum context length is " + maxModelLen + " tokens. However, your"
                    + " prompt has " + promptTokens + " tokens, leaving no room for the completion.");
        }
        int maxTokens = r.maxTokens() != null ? r.maxTokens() : maxModelLen - promptTokens;
        if (promptTokens + (long) maxTokens > maxModelLen) {
            throw invalid("This model's maximum context length is " + maxModelLen + " tokens. However, you"
                    + " requested " + (promptTokens + (long) maxTokens) + " tokens (" + promptTokens
                    + " in the prompt, " + maxTokens + " in the completion). Please reduce the length of the"
                    + " prompt or completion.");
        }
        try {
            return new SamplingParams(
                    first(r.temperature(), model.temperature(), 1.0),
                    first(r.topK(), model.topK(), 0),
                    first(r.topP(), model.topP(), 1.0),
                    first(r.minP(), model.minP(), 0.0),
                    first(r.repetitionPenalty(), model.repetitionPenalty(), 1.0),
                    first(r.presencePenalty(), null, 0.0),
                    first(r.frequencyPenalty(), null, 0.0),
                    r.seed(),
                    maxTokens,
                    r.stop(),
                    r.stopTokenIds() == null ? null : Set.copyOf(r.stopTokenIds()),
                    first(r.ignoreEos(), null, false),
                    r.logprobs(),
                    logitBias(r.logitBias()));
        } catch (IllegalArgumentException e) {
            throw invalid(e.getMessage());
        }
    }

    private static Map<Integer, Float> logitBias(Map<Integer, Double> bias) {
        if (bias == null) {
            return null;
        }
        Map<Integer, Float> asFloats = new HashMap<>();
        bias.forEach((token, value) -> asFloats.put(token, value == null ? 0f : value.floatValue()));
        return asFloats;
    }

    private static EngineException invalid(String message) {
        return new EngineException(EngineException.Kind.INVALID_REQUEST, message);
    }

    private static <T> T first(T request, T model, T fallback) {
        return request != null ? request : model != null ? model : fallback;
    }
}
