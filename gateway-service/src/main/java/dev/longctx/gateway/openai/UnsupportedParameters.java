package dev.longctx.gateway.openai;

import dev.longctx.gateway.errors.ApiException;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import tools.jackson.databind.JsonNode;

/**
 * Fields OpenAI or vLLM define that this server does not implement. Ignoring one would hand the client something
 * other than what it asked for (a prompt not echoed, no structured output, one sample where best_of wanted the
 * best of five), so a value other than the field's no-op is refused with 400 {@code unsupported_parameter}. The
 * no-op values clients send by default (echo=false, tools=[], response_format text, ...) pass, as do fields that
 * change nothing here (user, metadata, store, cache_salt, ...).
 */
final class UnsupportedParameters {
    private UnsupportedParameters() {}

    /** A field, the endpoints that have it, and which of its values change nothing. */
    private record Rule(String field, Set<ApiKind> kinds, Predicate<JsonNode> noOp, String what) {}

    private static final Set<ApiKind> BOTH = Set.of(ApiKind.CHAT, ApiKind.COMPLETION);
    private static final Set<ApiKind> CHAT = Set.of(ApiKind.CHAT);
    private static final Set<ApiKind> COMPLETION = Set.of(ApiKind.COMPLETION);

    private static final List<Rule> RULES = List.of(
            new Rule("echo", BOTH, UnsupportedParameters::isFalse, "echoing the prompt"),
            new Rule("suffix", COMPLETION, v -> v.isString() && v.asString().isEmpty(), "a completion suffix"),
            new Rule("use_beam_search", BOTH, UnsupportedParameters::isFalse, "beam search"),
            new Rule("min_tokens", BOTH, v -> v.isIntegralNumber() && v.asLong() == 0, "min_tokens"),
            new Rule("prompt_logprobs", BOTH, v -> false, "prompt logprobs"),
            new Rule("logprob_token_ids", BOTH, v -> false, "logprobs of chosen token ids"),
            new Rule("allowed_token_ids", BOTH, v -> false, "allowed_token_ids"),
            new Rule("bad_words", BOTH, v -> v.isArray() && v.isEmpty(), "bad_words"),
            new Rule("include_stop_str_in_output", BOTH, UnsupportedParameters::isFalse, "include_stop_str_in_output"),
            new Rule("skip_special_tokens", BOTH, UnsupportedParameters::isTrue, "keeping special tokens in the text"),
            new Rule("spaces_between_special_tokens", BOTH, UnsupportedParameters::isTrue, "spaces_between_special_tokens=false"),
            new Rule("truncate_prompt_tokens", BOTH, v -> false, "prompt truncation"),
            new Rule("return_tokens_as_token_ids", BOTH, UnsupportedParameters::isFalse, "return_tokens_as_token_ids"),
            new Rule("response_format", BOTH, v -> "text".equals(v.path("type").asString(null)), "structured output"),
            new Rule("structured_outputs", BOTH, v -> false, "structured output"),
            new Rule("guided_json", BOTH, v -> false, "guided decoding"),
            new Rule("guided_regex", BOTH, v -> false, "guided decoding"),
            new Rule("guided_choice", BOTH, v -> false, "guided decoding"),
            new Rule("guided_grammar", BOTH, v -> false, "guided decoding"),
            new Rule("prompt_embeds", COMPLETION, v -> false, "prompt embeddings"),
            new Rule("priority", BOTH, v -> v.isIntegralNumber() && v.asLong() == 0, "request priorities"),
            new Rule("tools", CHAT, v -> v.isArray() && v.isEmpty(), "tool calling"),
            new Rule("tool_choice", CHAT, v -> v.isString() && Set.of("none", "auto").contains(v.asString()), "tool calling"),
            new Rule("functions", CHAT, v -> v.isArray() && v.isEmpty(), "function calling"),
            new Rule("function_call", CHAT, v -> v.isString() && Set.of("none", "auto").contains(v.asString()), "function calling"),
            new Rule("audio", CHAT, v -> false, "audio output"),
            new Rule("modalities", CHAT, v -> v.isArray() && v.size() == 1 && "text".equals(v.get(0).asString(null)), "non-text output"),
            new Rule("prediction", CHAT, v -> false, "predicted outputs"),
            new Rule("add_generation_prompt", CHAT, UnsupportedParameters::isTrue, "add_generation_prompt=false"),
            new Rule("continue_final_message", CHAT, UnsupportedParameters::isFalse, "continue_final_message"),
            new Rule("add_special_tokens", CHAT, UnsupportedParameters::isFalse, "add_special_tokens for chat"),
            new Rule("add_special_tokens", COMPLETION, UnsupportedParameters::isTrue, "add_special_tokens=false"),
            new Rule("chat_template", CHAT, v -> false, "a request-supplied chat template"),
            new Rule("chat_template_kwargs", CHAT, v -> v.isObject() && v.isEmpty(), "chat_template_kwargs"),
            new Rule("documents", CHAT, v -> false, "documents"));

    private static boolean isFalse(JsonNode value) {
        return value.isBoolean() && !value.booleanValue();
    }

    private static boolean isTrue(JsonNode value) {
        return value.isBoolean() && value.booleanValue();
    }

    /** @throws ApiException 400 unsupported_parameter (or invalid_value for best_of below n) */
    static void check(JsonNode body, ApiKind kind) {
        for (Rule rule : RULES) {
            JsonNode value = body.get(rule.field());
            if (rule.kinds().contains(kind) && value != null && !value.isNull() && !rule.noOp().test(value)) {
                throw ApiException.unsupported("`" + rule.field() + "` is not supported by this server ("
                        + rule.what() + " is not implemented); remove it or send its default.", rule.field());
            }
        }
        JsonNode bestOf = body.get("best_of");
        if (bestOf != null && !bestOf.isNull()) {
            JsonNode nNode = body.get("n");
            long n = nNode != null && nNode.isIntegralNumber() ? nNode.asLong() : 1;
            if (!bestOf.isIntegralNumber()) {
                throw ApiException.invalidValue("best_of must be an integer.", "best_of");
            }
            if (bestOf.asLong() < n) {
                throw ApiException.invalidValue("best_of must be greater than or equal to n, got n=" + n
                        + " and best_of=" + bestOf.asLong() + ".", "best_of");
            }
            if (bestOf.asLong() > n) {
                throw ApiException.unsupported("`best_of` greater than n is not supported by this server (it would"
                        + " return the best " + n + " of " + bestOf.asLong() + " samples; each sample is returned).",
                        "best_of");
            }
        }
    }
}
