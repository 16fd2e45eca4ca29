package dev.longctx.gateway.openai;

import dev.longctx.common.wire.ChatMessage;
import dev.longctx.common.wire.SamplingOptions;
import dev.longctx.gateway.config.GatewayProperties;
import dev.longctx.gateway.errors.ApiException;
import java.util.ArrayList;
import java.util.List;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;

/**
 * Checks a request the way vLLM's pydantic models and SamplingParams do, with their messages, before any
 * upstream is asked anything; the result is typed so later stages need not re-check.
 */
@Component
public class RequestValidator {
    static final int MAX_CHOICES = 256;
    private final GatewayProperties properties;

    public RequestValidator(GatewayProperties properties) {
        this.properties = properties;
    }

    public ValidatedRequest validateChat(ChatCompletionRequest request) {
        checkModel(request.model());
        if (request.messages() == null || request.messages().isEmpty()) {
            throw ApiException.badRequest("messages must be a non-empty list of chat messages.", "messages");
        }
        List<ChatMessage> messages = new ArrayList<>(request.messages().size());
        for (ChatCompletionRequest.Message message : request.messages()) {
            if (message == null || message.role() == null || message.role().isBlank()) {
                throw ApiException.badRequest("Each message must have a role.", "messages");
            }
            messages.add(new ChatMessage(message.role(), flattenContent(message.content())));
        }
        return validated(ApiKind.CHAT, List.of(new PromptInput.Chat(List.copyOf(messages))), request);
    }

    public ValidatedRequest validateCompletion(CompletionRequest request) {
        checkModel(request.model());
        return validated(ApiKind.COMPLETION, prompts(request.prompt()), request);
    }

    private void checkModel(String model) {
        if (model != null && !model.equals(properties.modelName())) {
            throw unknownModel(model);
        }
    }

    /** vLLM's answer to a model it does not serve, for requests and for GET /v1/models/{id} alike. */
    static ApiException unknownModel(String model) {
        return new ApiException(404, "The model `" + model + "` does not exist.", "model");
    }

    private ValidatedRequest validated(ApiKind kind, List<PromptInput> prompts, SamplingParams params) {
        SamplingOptions sampling = sampling(params);
        int n = params.choicesPerPrompt();
        if (n < 1) {
            throw ApiException.badRequest("n must be at least 1, got " + n + ".", "n");
        }
        if ((long) n * prompts.size() > MAX_CHOICES) {
            // Each choice is a whole upstream sequence; an unbounded fan-out would let one request flood the backends.
            throw ApiException.badRequest("A request may produce at most " + MAX_CHOICES + " choices (prompts × n), got "
                    + (long) n * prompts.size() + ".", "n");
        }
        if (params.streamOptions() != null && !params.streamOptions().isEmpty() && !params.streaming()) {
            throw ApiException.badRequest("Stream options can only be defined when `stream=True`.", "stream_options");
        }
        return new ValidatedRequest(kind, prompts, sampling, n, params.streaming(), params.includeUsage());
    }

    private static SamplingOptions sampling(SamplingParams p) {
        if (p.temperature() != null && (p.temperature() < 0 || p.temperature().isNaN())) {
            throw ApiException.badRequest("temperature must be non-negative, got " + p.temperature() + ".", "temperature");
        }
        if (p.topP() != null && !(p.topP() > 0 && p.topP() <= 1)) {
            throw ApiException.badRequest("top_p must be in (0, 1], got " + p.topP() + ".", "top_p");
        }
        if (p.topK() != null && p.topK() < -1) {
            throw ApiException.badRequest("top_k must be -1 (disable), or at least 1, got " + p.topK() + ".", "top_k");
        }
        if (p.minP() != null && !(p.minP() >= 0 && p.minP() <= 1)) {
            throw ApiException.badRequest("min_p must be in [0, 1], got " + p.minP() + ".", "min_p");
        }
        checkPenalty("presence_penalty", p.presencePenalty());
        checkPenalty("frequency_penalty", p.frequencyPenalty());
        if (p.repetitionPenalty() != null && !(p.repetitionPenalty() > 0 && p.repetitionPenalty() <= 2)) {
            throw ApiException.badRequest(
                    "repetition_penalty must be in (0, 2], got " + p.repetitionPenalty() + ".", "repetition_penalty");
        }
        if (p.maxTokens() != null && p.maxTokens() < 1) {
            throw ApiException.badRequest("max_tokens must be at least 1, got " + p.maxTokens() + ".", "max_tokens");
        }
        if (p.stopTokenIds() != null && p.stopTokenIds().stream().anyMatch(id -> id == null || id < 0)) {
            throw ApiException.badRequest("stop_token_ids must be non-negative token ids.", "stop_token_ids");
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
                p.ignoreEos());
    }

    private static void checkPenalty(String name, Double value) {
        if (value != null && !(value >= -2 && value <= 2)) {
            throw ApiException.badRequest(name + " must be in [-2, 2], got " + value + ".", name);
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
                    throw ApiException.badRequest("stop must be a string or a list of strings.", "stop");
                }
                stops.add(item.asString());
            }
            return List.copyOf(stops);
        }
        throw ApiException.badRequest("stop must be a string or a list of strings.", "stop");
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
                    throw ApiException.badRequest("Only text content parts are supported.", "messages");
                }
                text.append(partText.asString());
            }
            return text.toString();
        }
        throw ApiException.badRequest("message content must be a string or a list of content parts.", "messages");
    }

    /** vLLM's four prompt forms: "text", ["text", ...], [id, ...], [[id, ...], ...]. */
    private static List<PromptInput> prompts(JsonNode prompt) {
        if (prompt == null || prompt.isNull()) {
            throw ApiException.badRequest("prompt is required.", "prompt");
        }
        if (prompt.isString()) {
            return List.of(new PromptInput.Text(prompt.asString()));
        }
        if (!prompt.isArray() || prompt.isEmpty()) {
            throw ApiException.badRequest(
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
                throw ApiException.badRequest(
                        "prompt must be a string, a list of strings, a list of token ids or a list of token-id lists.",
                        "prompt");
            }
        }
        return List.copyOf(prompts);
    }

    private static List<Integer> tokenIds(JsonNode array) {
        List<Integer> ids = new ArrayList<>(array.size());
        for (JsonNode id : array) {
            if (!id.isIntegralNumber() || !id.canConvertToInt() || id.asInt() < 0) {
                throw ApiException.badRequest("prompt token ids must be non-negative integers.", "prompt");
            }
            ids.add(id.asInt());
        }
        return List.copyOf(ids);
    }
}
