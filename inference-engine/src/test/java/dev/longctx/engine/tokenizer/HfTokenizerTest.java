package dev.longctx.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HfTokenizerTest {

    private static HfTokenizer tok;

    static Path resourceDir() {
        try {
            return Path.of(HfTokenizerTest.class.getResource("/tokenizer/tokenizer.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @BeforeAll
    static void load() {
        tok = HfTokenizer.load(resourceDir());
    }

    @AfterAll
    static void close() {
        tok.close();
    }

    @Test
    void theNativeLibraryIsTheCpuBuildUnlessTheEnvironmentSaysOtherwise() {
        // On a GPU host DJL would otherwise fetch a CUDA build of the library, which fails offline.
        String env = System.getenv("RUST_FLAVOR");
        assertThat(env != null ? env : System.getProperty("RUST_FLAVOR")).isEqualTo(env != null ? env : "cpu");
        assertThat(tok.encode("hello")).isNotEmpty();
    }

    @Test
    void committedResourceIsWhatTheGeneratorProduces() throws IOException {
        // Regenerate with TinyBpeTokenizer.main if this fails after changing the generator.
        assertThat(Files.readString(resourceDir().resolve("tokenizer.json"))).isEqualTo(TinyBpeTokenizer.json());
    }

    @Test
    void appliesMergesInPriorityOrder() {
        assertThat(tok.encode("hello world")).containsExactly(261, 266);
        assertThat(tok.encode("Hi the world")).containsExactly(270, 258, 266);
        // no merge for " h": the space stays a byte token
        assertThat(tok.encode("hello hello")).containsExactly(261, 32, 261);
    }

    @Test
    void specialTokensInTextBecomeTheirIdsAndNoneAreAddedImplicitly() {
        int[] ids = tok.encode("<|im_start|>user\nhi<|im_end|>");
        assertThat(ids[0]).isEqualTo(TinyBpeTokenizer.IM_START);
        assertThat(ids[ids.length - 1]).isEqualTo(TinyBpeTokenizer.IM_END);
        assertThat(tok.encode("")).isEmpty();
        assertThat(tok.encode("a")).containsExactly((int) 'a');
    }

    @Test
    void roundTripsMultiByteText() {
        String text = "<|im_start|>user\n中文 and emoji 😀, accents é ü\n<|im_end|>";
        int[] ids = tok.encode(text);
        assertThat(tok.decode(ids, false)).isEqualTo(text);
        assertThat(tok.decode(ids, true)).isEqualTo("user\n中文 and emoji 😀, accents é ü\n");
        // 中 = E4 B8 AD is the merged pair E4B8 (id 267) then byte AD (id 173)
        assertThat(tok.encode("中")).containsExactly(267, 0xAD);
        assertThat(tok.encode("😀")).containsExactly(269, 0x80);
    }

    @Test
    void decodingHalfACharacterGivesTheReplacementCharacter() {
        assertThat(tok.decode(new int[] {267}, false)).isEqualTo("\uFFFD");
    }

    @Test
    void tokenIdLooksUpVocabularyAndSpecialTokens() {
        assertThat(tok.tokenId("<|im_end|>")).isEqualTo(TinyBpeTokenizer.IM_END);
        assertThat(tok.tokenId("<|endoftext|>")).isEqualTo(TinyBpeTokenizer.ENDOFTEXT);
        assertThat(tok.tokenId("hello")).isEqualTo(261);
        assertThat(tok.tokenId("Ġworld")).isEqualTo(266); // byte-level spelling of " world"
        assertThat(tok.tokenId("<|nope|>")).isEqualTo(-1);
        assertThat(tok.vocabSize()).isEqualTo(274);
    }

    @Test
    void neverTruncatesEvenWithATokenizerConfigBesideIt(@TempDir Path dir) throws IOException {
        TinyBpeTokenizer.writeTo(dir);
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"model_max_length\": 8, \"truncation\": true}");
        try (HfTokenizer t = HfTokenizer.load(dir)) {
            assertThat(t.encode("hello ".repeat(5000))).hasSize(10_000);
        }
    }

    @Test
    void missingOrBrokenFilesAreNamedInTheError(@TempDir Path dir) throws IOException {
        assertThatThrownBy(() -> HfTokenizer.load(dir))
                .isInstanceOf(TokenizerException.class)
                .hasMessageContaining(dir.resolve("tokenizer.json").toString());

        Files.writeString(dir.resolve("tokenizer.json"), "{ not json");
        assertThatThrownBy(() -> HfTokenizer.load(dir))
                .isInstanceOf(TokenizerException.class)
                .hasMessageContaining(dir.resolve("tokenizer.json").toString())
                .hasMessageContaining("not valid JSON");

        // valid JSON with a vocabulary, but not a tokenizer the library accepts
        Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {\"type\": \"NoSuchModel\", \"vocab\": {\"a\": 0}}}");
        assertThatThrownBy(() -> HfTokenizer.load(dir))
                .isInstanceOf(TokenizerException.class)
                .hasMessageContaining(dir.resolve("tokenizer.json").toString())
                .hasMessageContaining("can load")
                .hasMessageNotContaining("\n");
    }
}
