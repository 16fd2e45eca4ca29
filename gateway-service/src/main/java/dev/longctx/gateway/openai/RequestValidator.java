package dev.longctx.gateway.openai;

import dev.longctx.common.wire.ChatMessage;
import dev.longctx.common.wire.PackedTokenIds;
import dev.longctx.common.wire.SamplingOptions;
import dev.longctx.gateway.config.GatewayProperties;
import dev.longctx.gateway.errors.ApiException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;

/**
 * Checks a request the way vLLM's pydantic models and SamplingParams do, with their messages, before any
 * upstream is asked anything; the result is typed so later stages need not re-check.
 */
@Component
public class RequestValidator {
    static final int MAX_CHOICES = 256;
    /** vLLM's default --max-logprobs. */
    static final int MAX_LOGPROBS = 20;
    private final GatewayProperties properties;

    public RequestValidator(GatewayProperties properties) {
        this.properties = properties;
    }

    public ValidatedRequest validateChat(ChatCompletionRequest request) {
        checkModel(request.model());
        if (request.messages() == null) {
            throw ApiException.missing("messages is required.", "messages");
        }
        if (request.messages().isEmpty()) {
            throw ApiException.invalidValue("messages must be a non-empty list of chat messages.", "messages");
        }
        List<ChatMessage> messages = new ArrayList<>(request.messages().size());
        for (ChatCompletionRequest.Message message : request.messages()) {
            if (message == null || message.role() == null || message.role().isBlank()) {
                throw ApiException.invalidValue("Each message must have a role.", "messages");
            }
            messages.add(new ChatMessage(message.role(), flattenContent(message.content())));
        }
        return validated(ApiKind.CHAT, List.of(new PromptInput.Chat(List.copyOf(messages))), request,
                chatLogprobs(request));
    }

    public ValidatedRequest validateCompletion(CompletionRequest request) {
        checkModel(request.model());
        return validated(ApiKind.COMPLETION, prompts(request.prompt()), request,
                checkLogprobs(request.logprobs(), "logprobs"));
    }

    private void checkModel(String model) {
        if (model != null && !model.equals(properties.modelName())) {
            throw ApiException.modelNotFound(model);
        }
    }

    /** Chat asks with logprobs=true and top_logprobs=k; the engine is asked for k alternatives (0 without top_logprobs). */
    private static Integer chatLogprobs(ChatCompletionRequest request) {
        Integer top = request.topLogprobs();
        boolean wanted = Boolean.TRUE.equals(request.logprobs());
        if (top != null) {
            if (top < 0 && top != -1) {
                throw ApiException.invalidValue("`top_logprobs` must be a positive value or -1.", "top_logprobs");
            }
            if ((top == -1 || top > 0) && !wanted) {
                throw ApiException.invalidValue("when using `top_logprobs`, `logprobs` must be set to true.", "top_logprobs");
            }
        }
        return wanted ? checkLogprobs(top == null ? 0 : top, "top_logprobs") : null;
    }

    /** vLLM's bounds: -1 means the whole vocabulary, more than --max-logprobs (20) is refused. */
    private static Integer checkLogprobs(Integer logprobs, String param) {
        if (logprobs == null) {
            return null;
        }
        if (logprobs < 0 && logprobs != -1) {
            throw ApiException.invalidValue("`" + param + "` must be a positive value or -1.", param);
        }
        if (logprobs == -1 || logprobs > MAX_LOGPROBS) {
            throw ApiException.invalidValue("Requested sample logprobs of " + (logprobs == -1 ? "-1 (the whole vocabulary)"
                    : logprobs) + ", which is greater than max allowed: " + MAX_LOGPROBS, param);
        }
        return logprobs;
    }

    private ValidatedRequest validated(ApiKind kind, List<PromptInput> prompts, SamplingParams params, Integer logprobs) {
        SamplingOptions sampling = sampling(params, logprobs);
        int n = params.choicesPerPrompt();
        if (n < 1) {
            throw ApiException.invalidValue("n must be at least 1, got " + n + ".", "n");
        }
        if ((long) n * prompts.size() > MAX_CHOICES) {
            // Each choice is a whole upstream sequence; an unbounded fan-out would let one request flood the backends.
            throw ApiException.invalidValue("A request may produce at most " + MAX_CHOICES + " choices (prompts × n), got "
                    + (long) n * prompts.size() + ".", "n");
        }
        if (params.streamOptions() != null && !params.streamOptions().isEmpty() && !params.streaming()) {
            throw ApiException.invalidValue("Stream options can only be defined when `stream=True`.", "stream_options");
        }
        return new ValidatedRequest(kind, prompts, sampling, n, params.streaming(), params.includeUsage());
    }

    private static SamplingOptions sampling(SamplingParams p, Integer logprobs) {
        if (p.temperature() != null && (p.temperature() < 0 || p.temperature().isNaN())) {
            throw ApiException.invalidValue("temperature must be non-negative, got " + p.temperature() + ".", "temperature");
        }
        if (p.topP() != null && !(p.topP() > 0 && p.topP() <= 1)) {
            throw ApiException.invalidValue("top_p must be in (0, 1], got " + p.topP() + ".", "top_p");
        }
        if (p.topK() != null && p.topK() < -1) {
            throw ApiException.invalidValue("top_k must be -1 (disable), or at least 1, got " + p.topK() + ".", "top_k");
        }
        if (p.minP() != null && !(p.minP() >= 0 && p.minP() <= 1)) {
            throw ApiException.invalidValue("min_p must be in [0, 1], got " + p.minP() + ".", "min_p");
        }
        checkPenalty("presence_penalty", p.presencePenalty());
        checkPenalty("frequency_penalty", p.frequencyPenalty());
        if (p.repetitionPenalty() != null && !(p.repetitionPenalty() > 0 && p.repetitionPenalty() <= 2)) {
            throw ApiException.invalidValue(
                    "repetition_penalty must be in (0, 2], got " + p.repetitionPenalty() + ".", "repetition_penalty");
        }
        if (p.maxTokens() != null && p.maxTokens() < 1) {
            throw ApiException.invalidValue("max_tokens must be at least 1, got " + p.maxTokens() + ".", "max_tokens");
        }
        if (p.stopTokenIds() != null && p.stopTokenIds().stream().anyMatch(id -> id == null || id < 0)) {
            throw ApiException.invalidValue("stop_token_ids must be non-negative token ids.", "stop_token_ids");
        }
        return new SamplingOptions(
                p.temperature(),
                p.topK(),
                p.topP(),
                p.minP(),
                p.repetitionPenalty(),
                p.presencePenalty(),
                p.frequencyPenalty(),
                p.seed(),
                p.maxTokens(),
                stops(p.stop()),
                p.stopTokenIds(),
                p.ignoreEos(),
                logprobs,
                logitBias(p.logitBias()));
    }

    /**
     * OpenAI's logit_bias: token ids as string keys, biases clamped to [-100, 100] as vLLM does. Whether the ids
     * are in the vocabulary is checked once the model's vocabulary size is known (GenerationService).
     */
    private static Map<Integer, Double> logitBias(JsonNode bias) {
        if (bias == null || bias.isNull()) {
            return null;
        }
        if (!bias.isObject()) {
            throw ApiException.invalidValue("logit_bias must be an object mapping token ids to bias values.", "logit_bias");
        }
        Map<Integer, Double> biases = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> entry : bias.properties()) {
            int token;
            try {
                token = Integer.parseInt(entry.getKey().strip());
            } catch (NumberFormatException e) {
                throw ApiException.invalidValue("Found token_id in logit_bias that is not an integer or string "
                        + "representing an integer", "logit_bias");
            }
            if (!entry.getValue().isNumber()) {
                throw ApiException.invalidValue("logit_bias values must be numbers, got " + entry.getValue().getNodeType()
                        .name().toLowerCase(java.util.Locale.ROOT) + " for token " + entry.getKey() + ".", "logit_bias");
            }
            double value = entry.getValue().asDouble();
            if (Double.isNaN(value)) {
                throw ApiException.invalidValue("logit_bias values must be numbers.", "logit_bias");
            }
            biases.put(token, Math.max(-100, Math.min(100, value)));
        }
        return biases;
    }

    private static void checkPenalty(String name, Double value) {
        if (value != null && !(value >= -2 && value <= 2)) {
            throw ApiException.invalidValue(name + " must be in [-2, 2], got " + value + ".", name);
        }
    }

    private static List<String> stops(JsonNode stop) {
        if (stop == null || stop.isNull()) {
            return null;
        }
        if (stop.isString()) {
            return List.of(stop.asString());
        }
        if (stop.isArray()) {
            List<String> stops = new ArrayList<>();
            for (JsonNode item : stop) {
                if (!item.isString()) {
                    throw ApiException.invalidValue("stop must be a string or a list of strings.", "stop");
                }
                stops.add(item.asString());
            }
            return List.copyOf(stops);
        }
        throw ApiException.invalidValue("stop must be a string or a list of strings.", "stop");
    }

    /** OpenAI content: a string, null (e.g. an assistant turn that only called tools), or text parts. */
    private static String flattenContent(JsonNode content) {
        if (content == null || content.isNull()) {
            return "";
        }
        if (content.isString()) {
            return content.asString();
        }
        if (content.isArray()) {
            StringBuilder text = new StringBuilder();
            for (JsonNode part : content) {
                JsonNode type = part.get("type");
                JsonNode partText = part.get("text");
                if (type == null || !"text".equals(type.asString()) || partText == null || !partText.isString()) {
                    throw ApiException.invalidValue("Only text content parts are supported.", "messages");
                }
                text.append(partText.asString());
            }
            return text.toString();
        }
        throw ApiException.invalidValue("message content must be a string or a list of content parts.", "messages");
    }

    /** vLLM's four prompt forms: "text", ["text", ...], [id, ...], [[id, ...], ...]. */
    private static List<PromptInput> prompts(JsonNode prompt) {
        if (prompt == null || prompt.isNull()) {
            throw ApiException.missing("prompt is required.", "prompt");
        }
        if (prompt.isString()) {
            return List.of(new PromptInput.Text(prompt.asString()));
        }
        if (!prompt.isArray() || prompt.isEmpty()) {
            throw ApiException.invalidValue(
                    "prompt must be a string, a list of strings, a list of token ids or a list of token-id lists.", "prompt");
        }
        JsonNode first = prompt.get(0);
        if (first.isIntegralNumber()) {
            return List.of(new PromptInput.Tokens(tokenIds(prompt)));
        }
        List<PromptInput> prompts = new ArrayList<>();
        for (JsonNode item : prompt) {
            if (first.isString() && item.isString()) {
                prompts.add(new PromptInput.Text(item.asString()));
            } else if (first.isArray() && item.isArray() && !item.isEmpty()) {
                prompts.add(new PromptInput.Tokens(tokenIds(item)));
            } else {
                throw ApiException.invalidValue(
                        "prompt must be a string, a list of strings, a list of token ids or a list of token-id lists.",
                        "prompt");
            }
        }
        return List.copyOf(prompts);
    }

    private static PackedTokenIds tokenIds(JsonNode array) {
        int[] ids = new int[array.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode id = array.get(i);
            if (!id.isIntegralNumber() || !id.canConvertToInt() || id.asInt() < 0) {
                throw ApiException.invalidValue("prompt token ids must be non-negative integers.", "prompt");
            }
            ids[i] = id.asInt();
        }
        return PackedTokenIds.of(ids);
    }
}
