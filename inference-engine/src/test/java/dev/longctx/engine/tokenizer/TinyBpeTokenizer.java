package dev.longctx.engine.tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/**
 * Builds a small but real Qwen2-style byte-level BPE {@code tokenizer.json}: the 256 byte tokens (id = byte value)
 * in GPT-2's byte-to-unicode alphabet, a handful of merges, and Qwen's three special tokens. Small enough to
 * reason about by hand, real enough that the HuggingFace tokenizers library loads it.
 *
 * <p>Some merges deliberately stop inside a UTF-8 character ("中" = E4 B8 | AD, "😀" = F0 9F 98 | 80) so that
 * incremental detokenization sees tokens that end mid-character.
 *
 * <p>{@code main} regenerates {@code src/test/resources/tokenizer/tokenizer.json}.
 */
public final class TinyBpeTokenizer {

    public static final int ENDOFTEXT = 271;
    public static final int IM_START = 272;
    public static final int IM_END = 273;

    /** Qwen2's pre-tokenizer split pattern. */
    static final String QWEN2_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private TinyBpeTokenizer() {}

    /** GPT-2's reversible byte → printable character mapping: printable Latin-1 bytes map to themselves, the rest to 256+n. */
    static char[] byteToUnicode() {
        char[] map = new char[256];
        boolean[] direct = new boolean[256];
        for (int b = '!'; b <= '~'; b++) direct[b] = true;
        for (int b = 0xA1; b <= 0xAC; b++) direct[b] = true;
        for (int b = 0xAE; b <= 0xFF; b++) direct[b] = true;
        int next = 256;
        for (int b = 0; b < 256; b++) map[b] = direct[b] ? (char) b : (char) next++;
        return map;
    }

    private static String byteLevel(byte... bytes) {
        char[] map = byteToUnicode();
        StringBuilder sb = new StringBuilder();
        for (byte b : bytes) sb.append(map[b & 0xff]);
        return sb.toString();
    }

    private static String byteLevel(String text) {
        return byteLevel(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Merges in priority order, as (left, right) pieces of UTF-8 text or raw bytes. */
    private static List<String[]> merges() {
        List<String[]> m = new ArrayList<>();
        m.add(new String[] {byteLevel(" "), byteLevel("t")});          // 256 " t"
        m.add(new String[] {byteLevel("h"), byteLevel("e")});          // 257 "he"
        m.add(new String[] {byteLevel(" t"), byteLevel("he")});        // 258 " the"
        m.add(new String[] {byteLevel("l"), byteLevel("l")});          // 259 "ll"
        m.add(new String[] {byteLevel("ll"), byteLevel("o")});         // 260 "llo"
        m.add(new String[] {byteLevel("he"), byteLevel("llo")});       // 261 "hello"
        m.add(new String[] {byteLevel(" "), byteLevel("w")});          // 262 " w"
        m.add(new String[] {byteLevel("o"), byteLevel("r")});          // 263 "or"
        m.add(new String[] {byteLevel(" w"), byteLevel("or")});        // 264 " wor"
        m.add(new String[] {byteLevel("l"), byteLevel("d")});          // 265 "ld"
        m.add(new String[] {byteLevel(" wor"), byteLevel("ld")});      // 266 " world"
        m.add(new String[] {byteLevel((byte) 0xE4), byteLevel((byte) 0xB8)});               // 267 first 2 bytes of 中
        m.add(new String[] {byteLevel((byte) 0xF0), byteLevel((byte) 0x9F)});               // 268 first 2 bytes of 😀
        m.add(new String[] {byteLevel((byte) 0xF0, (byte) 0x9F), byteLevel((byte) 0x98)});  // 269 first 3 bytes of 😀
        m.add(new String[] {byteLevel("H"), byteLevel("i")});          // 270 "Hi"
        return m;
    }

    /** The tokenizer.json document as a JSON string. */
    public static String json() {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        char[] map = byteToUnicode();
        for (int b = 0; b < 256; b++) vocab.put(String.valueOf(map[b]), b);
        List<String> mergeStrings = new ArrayList<>();
        for (String[] pair : merges()) {
            vocab.put(pair[0] + pair[1], vocab.size());
            mergeStrings.add(pair[0] + " " + pair[1]);
        }
        if (vocab.size() != ENDOFTEXT) throw new IllegalStateException("special token ids assume " + ENDOFTEXT + " vocab entries");

        List<Map<String, Object>> added = new ArrayList<>();
        int id = vocab.size();
        for (String special : List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>")) {
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("id", id++);
            t.put("content", special);
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
            added.add(t);
        }

        Map<String, Object> byteLevelNoRegex = obj("type", "ByteLevel", "add_prefix_space", false,
                "trim_offsets", false, "use_regex", false);
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("version", "1.0");
        root.put("truncation", null);
        root.put("padding", null);
        root.put("added_tokens", added);
        root.put("normalizer", obj("type", "NFC"));
        root.put("pre_tokenizer", obj("type", "Sequence", "pretokenizers", List.of(
                obj("type", "Split", "pattern", obj("Regex", QWEN2_SPLIT), "behavior", "Isolated", "invert", false),
                byteLevelNoRegex)));
        root.put("post_processor", byteLevelNoRegex);
        root.put("decoder", byteLevelNoRegex);
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        model.put("dropout", null);
        model.put("unk_token", null);
        model.put("continuing_subword_prefix", "");
        model.put("end_of_word_suffix", "");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("vocab", vocab);
        model.put("merges", mergeStrings);
        root.put("model", model);
        return JsonMapper.builder().build().writerWithDefaultPrettyPrinter().writeValueAsString(root);
    }

    /** A JSON object whose keys keep the given order, so the generated file is byte-for-byte stable. */
    private static Map<String, Object> obj(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        return m;
    }

    /** Writes tokenizer.json into {@code dir} (created if needed) and returns the directory. */
    public static Path writeTo(Path dir) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("tokenizer.json"), json());
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static void main(String[] args) {
        Path dir = Path.of(args.length > 0 ? args[0] : "inference-engine/src/test/resources/tokenizer");
        writeTo(dir);
        System.out.println("wrote " + dir.resolve("tokenizer.json"));
    }
}
