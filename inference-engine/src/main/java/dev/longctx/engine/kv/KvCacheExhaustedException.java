package dev.longctx.engine.kv;

/**
 * The KV cache has fewer free blocks than a caller asked for. The scheduler catches this (or avoids it by asking
 * {@link BlockAllocator#numFree()} first) and preempts; it reaches a client only as an OUT_OF_KV_CACHE error.
 */
public final class KvCacheExhaustedException extends RuntimeException {
    private final int requested;
    private final int free;
    private final int total;

    public KvCacheExhaustedException(int requested, int free, int total) {
        super("KV cache exhausted: asked for " + requested + " block(s), " + free + " free of a budget of "
                + total + " blocks");
        this.requested = requested;
        this.free = free;
        this.total = total;
    }

    public int requested() { return requested; }
    public int free() { return free; }
    public int total() { return total; }
}
