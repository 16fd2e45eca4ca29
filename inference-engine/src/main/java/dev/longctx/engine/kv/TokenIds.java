package dev.longctx.engine.kv;

/**
 * Read access to a sequence's token ids (prompt then output) without copying them: at 1M tokens a copy per
 * decode step would cost more than the bookkeeping it serves.
 */
public interface TokenIds {
    int numTokens();

    int tokenAt(int index);

    static TokenIds of(int... ids) {
        return new TokenIds() {
            @Override public int numTokens() { return ids.length; }
            @Override public int tokenAt(int index) { return ids[index]; }
        };
    }
}
