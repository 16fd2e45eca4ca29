package dev.longctx.gateway.openai;

/**
 * Counts what each choice produced while events flow, for the usage block. A choice's final event may carry
 * the engine's own counts, which win over the gateway's count of token ids.
 */
final class UsageTally {
    private final PreparedRequest prepared;
    private final int[] completionTokens;
    private final int[] cachedTokens;

    UsageTally(PreparedRequest prepared) {
        this.prepared = prepared;
        this.completionTokens = new int[prepared.choices()];
        this.cachedTokens = new int[prepared.choices()];
    }

    void accept(ChoiceEvent choiceEvent) {
        int index = choiceEvent.index();
        completionTokens[index] += choiceEvent.tokenCount();
        if (choiceEvent.event().completionTokens() != null) {
            completionTokens[index] = choiceEvent.event().completionTokens();
        }
        if (choiceEvent.event().cachedTokens() != null) {
            cachedTokens[index] = choiceEvent.event().cachedTokens();
        }
    }

    int completionTokens(int index) {
        return completionTokens[index];
    }

    /** Cached tokens are a property of the prompt: the best any of its n samples found is what the prompt had. */
    Usage usage() {
        int completion = 0;
        for (int tokens : completionTokens) {
            completion += tokens;
        }
        int prompts = prepared.promptTokenCounts().size();
        int[] cachedPerPrompt = new int[prompts];
        for (int index = 0; index < cachedTokens.length; index++) {
            int prompt = prepared.promptOf(index);
            cachedPerPrompt[prompt] = Math.max(cachedPerPrompt[prompt], cachedTokens[index]);
        }
        int cached = 0;
        for (int tokens : cachedPerPrompt) {
            cached += tokens;
        }
        return Usage.of(prepared.promptTokens(), completion, cached);
    }
}
