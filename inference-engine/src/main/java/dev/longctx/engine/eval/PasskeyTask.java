package dev.longctx.engine.eval;

import dev.longctx.engine.tokenizer.TextTokenizer;
import java.util.random.RandomGenerator;

/**
 * Passkey retrieval prompts: a needle sentence hidden at a relative depth inside repeated filler, then the
 * question. The wording is the one the default model was trained on (tools/longctx_tasks.py), so accuracy
 * measures length generalisation, not prompt mismatch.
 */
public final class PasskeyTask {
    static final String[] FILLER = {
            "The grass is green. ", "The sky is blue. ", "The sun is yellow. ", "Here we go. ", "There and back again. "};
    static final String QUESTION = "What is the pass key?";

    /** One prompt: the user message, the digits the answer must contain, and where the needle sits. */
    public record Sample(String userMessage, String passkey, double depth, int targetTokens) {}

    private final TextTokenizer tokenizer;
    private final int fillerTokensPerSentence;

    public PasskeyTask(TextTokenizer tokenizer) {
        this.tokenizer = tokenizer;
        String all = String.join("", FILLER);
        this.fillerTokensPerSentence = Math.max(1, tokenizer.encode(all).length / FILLER.length);
    }

    public static String needle(String passkey) {
        return "The pass key is " + passkey + ". Remember it. " + passkey + " is the pass key. ";
    }

    /**
     * A user message whose haystack is about {@code targetTokens} tokens long (the chat template and question add
     * a few more), with the needle after {@code depth} (0 = start, 1 = end) of the filler.
     */
    public Sample sample(int targetTokens, double depth, RandomGenerator rng) {
        String passkey = Integer.toString(10000 + rng.nextInt(90000));
        String needle = needle(passkey);
        int fillerBudget = Math.max(0, targetTokens - tokenizer.encode(needle + QUESTION).length - 24);
        int sentences = fillerBudget / fillerTokensPerSentence;
        int at = (int) Math.round(depth * sentences);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < sentences; i++) {
            if (i == at) text.append(needle);
            text.append(FILLER[i % FILLER.length]);
        }
        if (at >= sentences) text.append(needle);
        text.append('\n').append(QUESTION);
        return new Sample(text.toString(), passkey, depth, targetTokens);
    }
}
