package dev.longctx.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class IncrementalDetokenizerTest {

    private static HfTokenizer tok;

    @BeforeAll
    static void load() {
        tok = HfTokenizer.load(HfTokenizerTest.resourceDir());
    }

    @AfterAll
    static void close() {
        tok.close();
    }

    private static List<String> deltas(IncrementalDetokenizer d, int[] ids) {
        List<String> out = new ArrayList<>();
        for (int id : ids) out.add(d.add(id));
        return out;
    }

    @Test
    void cjkSplitInsideACharacterIsHeldUntilComplete() {
        int[] ids = tok.encode("中中");
        assertThat(ids).containsExactly(267, 0xAD, 267, 0xAD);
        List<String> d = deltas(new IncrementalDetokenizer(tok, false), ids);
        assertThat(d).containsExactly("", "中", "", "中");
    }

    @Test
    void fourByteEmojiSplitAcrossTokensComesOutWhole() {
        int[] ids = tok.encode("hi 😀!");
        List<String> d = deltas(new IncrementalDetokenizer(tok, false), ids);
        assertThat(String.join("", d)).isEqualTo("hi 😀!");
        for (String piece : d) {
            assertThat(piece).doesNotContain("\uFFFD");
            // never half a surrogate pair either
            if (!piece.isEmpty()) assertThat(Character.isHighSurrogate(piece.charAt(piece.length() - 1))).isFalse();
        }
        assertThat(d).contains("😀");
    }

    @Test
    void singleByteTokensOfAnEmojiAreHeldForThreeSteps() {
        // 😀 = F0 9F 98 80 fed as four single-byte tokens (a model may emit them this way)
        List<String> d = deltas(new IncrementalDetokenizer(tok, false), new int[] {0xF0, 0x9F, 0x98, 0x80, 'a'});
        assertThat(d).containsExactly("", "", "", "😀", "a");
    }

    @Test
    void concatenationOfDeltasEqualsFullDecode() {
        String text = "<|im_start|>assistant\nhello world, 中文 😀 é<|im_end|>";
        int[] ids = tok.encode(text);
        IncrementalDetokenizer withSpecials = new IncrementalDetokenizer(tok, false);
        IncrementalDetokenizer skipping = new IncrementalDetokenizer(tok, true);
        StringBuilder a = new StringBuilder();
        StringBuilder b = new StringBuilder();
        for (int id : ids) {
            a.append(withSpecials.add(id));
            b.append(skipping.add(id));
        }
        assertThat(a.toString()).isEqualTo(text);
        assertThat(b.toString()).isEqualTo(tok.decode(ids, true));
    }

    @Test
    void promptContextIsNeverEmitted() {
        int[] prompt = tok.encode("hello world");
        IncrementalDetokenizer d = new IncrementalDetokenizer(tok, false, prompt);
        assertThat(d.add(tok.encode(" world")[0])).isEqualTo(" world");
    }

    @Test
    void flushReleasesAnIncompleteTailOnce() {
        IncrementalDetokenizer d = new IncrementalDetokenizer(tok, false);
        assertThat(d.add('a')).isEqualTo("a");
        assertThat(d.add(267)).isEmpty();
        assertThat(d.flush()).isEqualTo("\uFFFD");
        assertThat(d.flush()).isEmpty();
    }

    @Test
    void longStreamsStayCorrectAcrossWindowCompaction() {
        int[] ids = tok.encode("中 hello ".repeat(1500));
        IncrementalDetokenizer d = new IncrementalDetokenizer(tok, false);
        StringBuilder out = new StringBuilder();
        for (int id : ids) out.append(d.add(id));
        assertThat(out.toString()).isEqualTo("中 hello ".repeat(1500));
    }
}
