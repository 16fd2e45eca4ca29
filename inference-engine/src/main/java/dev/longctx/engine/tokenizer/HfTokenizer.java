package dev.longctx.engine.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A model's {@code tokenizer.json}, run by the HuggingFace tokenizers library (Rust, through DJL's JNI binding), so
 * ids match transformers exactly.
 *
 * <p>Special tokens are never added implicitly (a chat template or the caller spells them out), and truncation and
 * padding are off whatever the file says: a 1M-token prompt must come back as 1M ids.
 */
public final class HfTokenizer implements TextTokenizer {

    public static final String FILE_NAME = "tokenizer.json";

    static {
        useCpuNativeLibrary();
    }

    /**
     * DJL picks a CUDA build of the tokenizers' native library when it sees a GPU and downloads it, which fails
     * offline ("Failed to load Huggingface native library"); the CPU build ships in the jar and is all a tokenizer
     * needs. DJL reads {@code RUST_FLAVOR} from the environment, else from a system property, when its library
     * first loads, which is after this class initialises: an explicit setting of either is left alone.
     */
    static void useCpuNativeLibrary() {
        if (System.getenv("RUST_FLAVOR") == null && System.getProperty("RUST_FLAVOR") == null) {
            System.setProperty("RUST_FLAVOR", "cpu");
        }
    }

    private final HuggingFaceTokenizer tokenizer;
    private final Map<String, Integer> tokenIds;
    private final int vocabSize;

    private HfTokenizer(HuggingFaceTokenizer tokenizer, Map<String, Integer> tokenIds) {
        this.tokenizer = tokenizer;
        this.tokenIds = tokenIds;
        this.vocabSize = tokenIds.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
    }

    /** Loads {@code modelDir/tokenizer.json}. */
    public static HfTokenizer load(Path modelDir) {
        return fromFile(modelDir.resolve(FILE_NAME));
    }

    /** Loads a tokenizer.json file at any path. */
    public static HfTokenizer fromFile(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new TokenizerException("no tokenizer at " + file + " (the model directory needs a " + FILE_NAME + ")");
        }
        Map<String, Integer> ids = readTokenIds(file);
        // Loading from a stream, not a path, so DJL cannot pick up a tokenizer_config.json next to the file and
        // apply its model_max_length as a truncation limit.
        Map<String, String> options = Map.of(
                "addSpecialTokens", "false",
                "truncation", "false",
                "padding", "false");
        try (InputStream in = Files.newInputStream(file)) {
            return new HfTokenizer(HuggingFaceTokenizer.newInstance(in, options), ids);
        } catch (IOException | RuntimeException e) {
            throw new TokenizerException(file + " is not a tokenizer the HuggingFace tokenizers library can load: "
                    + oneLine(e), e);
        }
    }

    /** Token string → id for the vocabulary and the added (special) tokens; tokenizers has no lookup through DJL. */
    private static Map<String, Integer> readTokenIds(Path file) {
        JsonNode root;
        try {
            root = JsonMapper.builder().build().readTree(file.toFile());
        } catch (JacksonException e) {
            throw new TokenizerException(file + " is not valid JSON: " + oneLine(e), e);
        }
        JsonNode vocab = root.path("model").path("vocab");
        if (!vocab.isObject()) {
            throw new TokenizerException(file + " has no model.vocab object; only BPE/WordPiece-style tokenizers with a vocabulary are supported");
        }
        Map<String, Integer> ids = new HashMap<>(vocab.size() * 2);
        for (Map.Entry<String, JsonNode> e : vocab.properties()) ids.put(e.getKey(), e.getValue().asInt());
        for (JsonNode t : root.path("added_tokens")) ids.put(t.path("content").asString(), t.path("id").asInt());
        return ids;
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    @Override
    public int[] encode(String text) {
        long[] ids = tokenizer.encode(text, false, false).getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) out[i] = Math.toIntExact(ids[i]);
        return out;
    }

    @Override
    public String decode(int[] ids, boolean skipSpecialTokens) {
        long[] wide = new long[ids.length];
        for (int i = 0; i < ids.length; i++) wide[i] = ids[i];
        return tokenizer.decode(wide, skipSpecialTokens);
    }

    @Override
    public int tokenId(String token) {
        return tokenIds.getOrDefault(token, -1);
    }

    /** One more than the largest id the file defines (vocabulary and added tokens). */
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
