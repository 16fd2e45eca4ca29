package dev.longctx.tokenizerservice.testbackend;

import dev.longctx.common.wire.ChatMessage;
import dev.longctx.tokenizerservice.backend.ChatRenderingException;
import dev.longctx.tokenizerservice.backend.TokenizerBackend;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * TEST ONLY — stands in for HfTokenizer + ChatTemplate until they are merged. Words (split on whitespace) get
 * ids in order of first appearance, after a fixed block of ChatML special tokens; the "template" is ChatML and,
 * like Qwen's, refuses roles it does not know.
 */
public final class WhitespaceTokenizerBackend implements TokenizerBackend {

    public static final List<String> SPECIAL_TOKENS = List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>");
    private static final Set<String> ROLES = Set.of("system", "user", "assistant");

    private final Map<String, Integer> ids = new ConcurrentHashMap<>();
    private final Map<Integer, String> words = new ConcurrentHashMap<>();
    private volatile String lastEncodingThread;

    public WhitespaceTokenizerBackend() {
        SPECIAL_TOKENS.forEach(this::idOf);
    }

    @Override
    public int[] encode(String text) {
        lastEncodingThread = Thread.currentThread().getName();
        return text.isBlank() ? new int[0] : Arrays.stream(text.trim().split("\\s+")).mapToInt(this::idOf).toArray();
    }

    @Override
    public String decode(int[] tokenIds) {
        return IntStream.of(tokenIds).mapToObj(id -> {
            String word = words.get(id);
            if (word == null) {
                throw new IllegalArgumentException("unknown token id " + id);
            }
            return word;
        }).collect(Collectors.joining(" "));
    }

    /** Grows as new words are seen. */
    @Override
    public int vocabSize() {
        return ids.size();
    }

    @Override
    public int tokenId(String token) {
        return ids.getOrDefault(token, -1);
    }

    @Override
    public String renderChat(List<ChatMessage> messages, boolean addGenerationPrompt) {
        List<String> turns = new ArrayList<>();
        for (ChatMessage m : messages) {
            if (!ROLES.contains(m.role())) {
                throw new ChatRenderingException("unsupported role '" + m.role() + "'", null);
            }
            turns.add("<|im_start|> " + m.role() + " " + m.content() + " <|im_end|>");
        }
        if (addGenerationPrompt) {
            turns.add("<|im_start|> assistant");
        }
        return String.join(" ", turns);
    }

    @Override
    public void close() {}

    /** Lets a test check that encoding ran off the event loop. */
    public String lastEncodingThread() {
        return lastEncodingThread;
    }

    private synchronized int idOf(String word) {
        return ids.computeIfAbsent(word, w -> {
            int id = ids.size();
            words.put(id, w);
            return id;
        });
    }
}
