package dev.longctx.bench;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a minimal but valid byte-level BPE {@code tokenizer.json} in the Qwen2 layout: ids below the first special
 * token are the 256 byte symbols of the GPT-2 byte-to-unicode map, then made-up multi-byte tokens, each reachable by
 * exactly one merge; ids from the first special token up to vocab_size are added tokens ({@code <|endoftext|>},
 * {@code <|im_start|>}, {@code <|im_end|>}, then reserved fillers).
 *
 * <p>Both layouts matter: HF tokenizers ignores an added token's stated id and numbers added tokens from the end of
 * the model vocabulary, so that vocabulary must be exactly 0..firstSpecial-1; and every id below vocab_size needs an
 * entry, since a random model may emit any of them and Jlama's decoder fails on an unknown id. Jlama's loader
 * also refuses a model directory without this file. The made-up tokens carry no meaning; the benchmark feeds
 * token ids, never text.
 */
final class TokenizerJsonWriter {
    /** Qwen2's pre-tokenizer split, as in its tokenizer.json; both HF tokenizers and java.util.regex accept it. */
    static final String QWEN2_SPLIT_REGEX =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    static final List<String> SPECIAL_TOKENS = List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>");

    private TokenizerJsonWriter() {}

    /** The GPT-2 byte-to-unicode alphabet, in GPT-2's order (printable bytes first, the rest shifted past 255). */
    static List<String> byteAlphabet() {
        List<String> symbols = new ArrayList<>(256);
        boolean[] printable = new boolean[256];
        for (int b = 0; b < 256; b++) {
            printable[b] = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            if (printable[b]) symbols.add(Character.toString(b));
        }
        int shifted = 0;
        for (int b = 0; b < 256; b++) if (!printable[b]) symbols.add(Character.toString(256 + shifted++));
        return symbols;
    }

    static void write(Path file, ModelShape shape) throws IOException {
        List<String> alphabet = byteAlphabet();
        int regular = shape.bosEosTokenId();
        if (regular < alphabet.size()) throw new IllegalArgumentException("vocab too small for a byte-level vocabulary");
        List<String> added = new ArrayList<>(SPECIAL_TOKENS);
        for (int id = regular + SPECIAL_TOKENS.size(); id < shape.vocabSize(); id++) added.add("<|reserved_" + id + "|>");

        // Made-up tokens, shortest first: each extends an earlier token by one byte symbol, so its merge is
        // (earlier token, symbol) and every merge's parts and result are in the vocabulary.
        List<String> tokens = new ArrayList<>(regular);
        List<String> merges = new ArrayList<>(regular - alphabet.size());
        tokens.addAll(alphabet);
        for (int base = 0; tokens.size() < regular; base++) {
            String prefix = tokens.get(base);
            for (int s = 0; s < alphabet.size() && tokens.size() < regular; s++) {
                String symbol = alphabet.get(s);
                tokens.add(prefix + symbol);
                merges.add(prefix + " " + symbol);
            }
        }

        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write("{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": [");
            for (int i = 0; i < added.size(); i++) {
                w.write(i == 0 ? "\n    " : ",\n    ");
                w.write("{\"id\": " + (regular + i) + ", \"content\": " + JsonText.quote(added.get(i))
                        + ", \"single_word\": false, \"lstrip\": false, \"rstrip\": false, \"normalized\": false, \"special\": true}");
            }
            w.write("\n  ],\n  \"normalizer\": {\"type\": \"NFC\"},\n");
            w.write("  \"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": [");
            w.write("{\"type\": \"Split\", \"pattern\": {\"Regex\": " + JsonText.quote(QWEN2_SPLIT_REGEX)
                    + "}, \"behavior\": \"Isolated\", \"invert\": false}, ");
            w.write("{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": false, \"use_regex\": false}]},\n");
            w.write("  \"post_processor\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": false, \"use_regex\": false},\n");
            w.write("  \"decoder\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": false, \"use_regex\": false},\n");
            w.write("  \"model\": {\"type\": \"BPE\", \"dropout\": null, \"unk_token\": null, \"continuing_subword_prefix\": \"\", "
                    + "\"end_of_word_suffix\": \"\", \"fuse_unk\": false, \"byte_fallback\": false, \"ignore_merges\": false,\n");
            w.write("    \"vocab\": {");
            for (int id = 0; id < tokens.size(); id++) {
                w.write(id == 0 ? "\n      " : ",\n      ");
                w.write(JsonText.quote(tokens.get(id)) + ": " + id);
            }
            w.write("\n    },\n    \"merges\": [");
            for (int i = 0; i < merges.size(); i++) {
                w.write(i == 0 ? "\n      " : ",\n      ");
                w.write(JsonText.quote(merges.get(i)));
            }
            w.write("\n    ]\n  }\n}\n");
        }
    }
}
