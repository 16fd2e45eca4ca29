package dev.longctx.gateway.openai;

import tools.jackson.databind.JsonNode;
import java.util.List;

/** The sampling fields chat and text completions share, so one validator and one mapper serve both. */
public interface SamplingParams {
    String model();

    Boolean stream();

    StreamOptions streamOptions();

    Integer maxTokens();

    Double temperature();

    Double topP();

    Integer topK();

    Double minP();

    Long seed();

    /** A string or a list of strings; kept raw because OpenAI accepts both. */
    JsonNode stop();

    List<Integer> stopTokenIds();

    Boolean ignoreEos();

    Integer n();

    Double presencePenalty();

    Double frequencyPenalty();

    Double repetitionPenalty();

    /** token id (as a string key) → bias; kept raw so its shape can be checked with a clear message. */
    JsonNode logitBias();

    default boolean streaming() {
        return Boolean.TRUE.equals(stream());
    }

    default int choicesPerPrompt() {
        return n() == null ? 1 : n();
    }

    default boolean includeUsage() {
        return streamOptions() != null && streamOptions().usageRequested();
    }
}
