package dev.longctx.engine.kv;

import dev.longctx.common.prefix.PrefixFacts;

/** Prefix facts for bookkeeping tests: no DCA, no sparse config, so only the model and the cache salt name blocks. */
public final class TestPrefixFacts {
    private TestPrefixFacts() {}

    public static PrefixFacts of(String modelIdentity, int blockSize) {
        return new PrefixFacts(modelIdentity, "fp32", "none", PrefixFacts.REQUEST_RULE, 0, blockSize, null, false,
                32768, 0);
    }

    public static PrefixFacts of(int blockSize) {
        return of("fake", blockSize);
    }
}
