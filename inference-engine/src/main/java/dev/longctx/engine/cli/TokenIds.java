package dev.longctx.engine.cli;

/** Parses {@code --ids 1,2,3}. */
final class TokenIds {

    private TokenIds() {}

    static int[] parse(String text) {
        if (text == null || text.isBlank()) throw new CliException("--ids is empty; give comma-separated token ids like 1,2,3");
        String[] parts = text.split(",");
        int[] ids = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i].strip();
            try {
                ids[i] = Integer.parseInt(p);
            } catch (NumberFormatException e) {
                throw new CliException("bad --ids: '" + p + "' (item " + (i + 1) + ") is not a token id");
            }
            if (ids[i] < 0) throw new CliException("bad --ids: token id " + ids[i] + " is negative");
        }
        return ids;
    }

    /** Every id must index the model's vocabulary (the embedding table). */
    static void checkVocabulary(int[] ids, int vocabSize) {
        for (int id : ids) {
            if (id >= vocabSize) {
                throw new CliException("token id " + id + " is outside the model's vocabulary (vocab_size " + vocabSize + ")");
            }
        }
    }
}
