package dev.longctx.gateway.openai;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.longctx.common.wire.TokenLogprob;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The engine's per-token logprobs in OpenAI's two shapes, as vLLM builds them. Per position vLLM keeps an ordered
 * map: the sampled token first, then the k most likely (a token already present keeps its place). Chat lists the
 * first {@code top_logprobs} entries of it; completions map the first {@code logprobs + 1} (OpenAI's "up to
 * logprobs+1 elements"). A logprob of −∞ is written as −9999.0, as OpenAI does.
 */
final class OpenAiLogprobs {
    private OpenAiLogprobs() {}

    /** {@code choices[].logprobs} of chat: {@code {"content": [...]}}. */
    record Chat(List<ChatToken> content) {}

    record ChatToken(String token, double logprob, List<Integer> bytes,
                     @JsonProperty("top_logprobs") List<ChatTop> topLogprobs) {}

    record ChatTop(String token, double logprob, List<Integer> bytes) {}

    /** {@code choices[].logprobs} of completions. */
    record Completion(
            @JsonProperty("text_offset") List<Integer> textOffset,
            @JsonProperty("token_logprobs") List<Double> tokenLogprobs,
            List<String> tokens,
            @JsonProperty("top_logprobs") List<Map<String, Double>> topLogprobs) {}

    static Chat chat(List<TokenLogprob> positions, int topLogprobs) {
        List<ChatToken> content = new ArrayList<>(positions.size());
        for (TokenLogprob position : positions) {
            List<ChatTop> top = new ArrayList<>();
            for (TokenLogprob entry : ranked(position)) {
                if (top.size() >= topLogprobs) {
                    break;
                }
                top.add(new ChatTop(entry.token(), floor(entry.logprob()), bytes(entry.token())));
            }
            content.add(new ChatToken(position.token(), floor(position.logprob()), bytes(position.token()), top));
        }
        return new Chat(content);
    }

    /** @param textOffset where this stretch of tokens starts in the choice's text (code points, as Python counts) */
    static Completion completion(List<TokenLogprob> positions, int logprobs, int textOffset) {
        List<Integer> offsets = new ArrayList<>(positions.size());
        List<Double> values = new ArrayList<>(positions.size());
        List<String> tokens = new ArrayList<>(positions.size());
        List<Map<String, Double>> tops = new ArrayList<>(positions.size());
        int offset = textOffset;
        for (TokenLogprob position : positions) {
            offsets.add(offset);
            offset += position.token().codePointCount(0, position.token().length());
            values.add(floor(position.logprob()));
            tokens.add(position.token());
            Map<String, Double> top = new LinkedHashMap<>();
            int taken = 0;
            for (TokenLogprob entry : ranked(position)) {
                if (taken++ > logprobs) {
                    break;
                }
                top.put(entry.token(), floor(entry.logprob()));   // equal strings of different ids: the later value wins, as in Python
            }
            tops.add(top);
        }
        return new Completion(offsets, values, tokens, tops);
    }

    /** The sampled token, then the top alternatives not already listed. */
    private static List<TokenLogprob> ranked(TokenLogprob position) {
        List<TokenLogprob> ranked = new ArrayList<>();
        ranked.add(position);
        if (position.top() != null) {
            for (TokenLogprob alternative : position.top()) {
                if (alternative.tokenId() != position.tokenId()) {
                    ranked.add(alternative);
                }
            }
        }
        return ranked;
    }

    private static double floor(double logprob) {
        return Math.max(logprob, -9999.0);
    }

    private static List<Integer> bytes(String token) {
        byte[] utf8 = token.getBytes(StandardCharsets.UTF_8);
        List<Integer> bytes = new ArrayList<>(utf8.length);
        for (byte b : utf8) {
            bytes.add(b & 0xff);
        }
        return bytes;
    }
}
