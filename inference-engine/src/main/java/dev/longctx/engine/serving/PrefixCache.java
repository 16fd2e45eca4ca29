package dev.longctx.engine.serving;

import dev.longctx.common.prefix.PrefixFacts;
import dev.longctx.engine.kv.BlockManager;
import dev.longctx.engine.kv.KvBlockIo;
import java.util.function.Function;

/**
 * An engine's prefix cache as an instance's KV sharing sees it: the facts that name its blocks, its block
 * manager (only with the step loop held off) and byte access to block contents for pulls between instances.
 */
public interface PrefixCache {
    PrefixFacts facts();

    KvBlockIo blockIo();

    /** Runs {@code action} on the block manager under the engine's lock; keep it short (the loop waits). */
    <T> T withBlocks(Function<BlockManager, T> action);
}
