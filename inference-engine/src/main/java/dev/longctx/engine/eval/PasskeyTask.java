package dev.longctx.engine.eval;

import dev.longctx.engine.tokenizer.ChatMessage;
import dev.longctx.engine.tokenizer.ChatTemplate;
import dev.longctx.engine.tokenizer.TextTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Passkey retrieval prompts: a needle sentence hidden at a relative depth inside the classic filler, then the
 * question. This mirrors {@code passkey_eval_example} in tools/longctx_tasks.py, the format the default model was
 * trained on, so accuracy measures length generalisation, not prompt mismatch.
 */
public final class PasskeyTask {
    static final List<String> FILLER = List.of(
            "The grass is green.", "The sky is blue.", "The sun is yellow.", "Here we go.", "There and back again.");
    public static final String SYSTEM = "You are a helpful assistant.";
    static final String QUESTION = "What is the pass key?";

    /** One prompt: the user message, the digits the answer must contain, and where the needle sits. */
    public record Sample(String userMessage, String passkey, double depth, int targetTokens) {}

    private final TextTokenizer tokenizer;
    private final int[] fillerTokens;

    public PasskeyTask(TextTokenizer tokenizer) {
        this.tokenizer = tokenizer;
        this.fillerTokens = FILLER.stream().mapToInt(s -> tokenizer.encode(" " + s).length).toArray();
    }

    public static String needle(String passkey) {
        return "The pass key is " + passkey + ". Remember it. " + passkey + " is the pass key.";
    }

    static String answer(String passkey) {
        return "The pass key is " + passkey + ".";
    }

    /** The token ids of a sample as a chat prompt (system + user turn, generation prompt added). */
    public int[] chatPromptIds(ChatTemplate template, Sample sample) {
        return tokenizer.encode(template.render(List.of(new ChatMessage("system", SYSTEM),
                new ChatMessage("user", sample.userMessage())), true));
    }

    /**
     * A user message for a prompt of about {@code targetTokens} tokens including the chat template, with the
     * needle before filler sentence round(depth · n).
     */
    public Sample sample(int targetTokens, double depth, RandomGenerator rng) {
        String passkey = Integer.toString(10000 + rng.nextInt(90000));
        String needle = needle(passkey);
        String chatOverhead = "<|im_start|>system\n" + SYSTEM + "<|im_end|>\n<|im_start|>user\n<|im_end|>\n<|im_start|>assistant\n";
        int overhead = tokenizer.encode(chatOverhead).length + tokenizer.encode("\n" + QUESTION).length
                + tokenizer.encode(answer(passkey) + "<|im_end|>").length + tokenizer.encode(" " + needle).length + 2;
        int budget = targetTokens - overhead;
        List<String> sentences = new ArrayList<>();
        for (int i = 0, used = 0; used + fillerTokens[i % FILLER.size()] <= budget; i++) {
            used += fillerTokens[i % FILLER.size()];
            sentences.add(FILLER.get(i % FILLER.size()));
        }
        sentences.add((int) Math.round(depth * sentences.size()), needle);
        return new Sample(String.join(" ", sentences) + "\n" + QUESTION, passkey, depth, targetTokens);
    }
}
