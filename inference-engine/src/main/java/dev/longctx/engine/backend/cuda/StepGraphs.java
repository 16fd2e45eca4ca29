package dev.longctx.engine.backend.cuda;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The CUDA graphs of one backend by launch shape ({@link dev.longctx.engine.attention.AttentionStep#replayShape}),
 * least recently used dropped past {@link #MAX_GRAPHS}; the shapes seen once (recorded on their second visit) and
 * those whose recording failed (not tried again until the buffers move, which is what usually made it fail).
 * Synchronized: the stepping thread records and replays, a KV cache closing on another thread clears.
 */
final class StepGraphs {
    /** Decode shapes in use at once: batch sizes × a few key splits; a graph of a 28-layer step is ~300 nodes. */
    static final int MAX_GRAPHS = 64;

    private final CudaContext ctx;
    private final Map<Object, CudaGraph> graphs = new LinkedHashMap<>(16, 0.75f, true);
    private final Set<Object> seen = new HashSet<>();
    private final Set<Object> unrecordable = new HashSet<>();

    StepGraphs(CudaContext ctx) { this.ctx = ctx; }

    synchronized CudaGraph find(Object shape) { return graphs.get(shape); }

    /** True from the second call for a shape on (the first only remembers it), unless its recording failed. */
    synchronized boolean shouldRecord(Object shape) {
        if (unrecordable.contains(shape)) return false;
        if (seen.contains(shape)) return true;
        if (seen.size() >= 16 * MAX_GRAPHS) seen.clear();
        seen.add(shape);
        return false;
    }

    /** Its recording failed: run it eagerly from now on, until {@link #clear}. */
    synchronized void recordingFailed(Object shape) {
        if (unrecordable.size() >= 16 * MAX_GRAPHS) unrecordable.clear();
        unrecordable.add(shape);
    }

    synchronized CudaGraph add(Object shape, CudaGraph g) {
        graphs.put(shape, g);
        if (graphs.size() > MAX_GRAPHS) {
            var eldest = graphs.entrySet().iterator();
            CudaGraph old = eldest.next().getValue();
            eldest.remove();
            ctx.synchronize();   // a queued launch of it may not have run yet
            old.close();
        }
        return g;
    }

    synchronized int size() { return graphs.size(); }

    synchronized void clear() {
        unrecordable.clear();
        if (graphs.isEmpty()) return;
        ctx.synchronize();
        for (CudaGraph g : graphs.values()) g.close();
        graphs.clear();
        seen.clear();
    }
}
