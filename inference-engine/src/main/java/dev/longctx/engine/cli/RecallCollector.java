package dev.longctx.engine.cli;

import dev.longctx.engine.attention.RecallRecorder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import tools.jackson.databind.json.JsonMapper;

/**
 * Sums what the attention reports per (layer, head) over a score run and writes it as JSON: per head the mean
 * recall (Σ exp(LSE_sparse − LSE_full) / rows) and the density (computed / causal pairs), plus overall means.
 * Thread-safe, since layers may report from worker threads.
 */
final class RecallCollector implements RecallRecorder {

    private static final class Sums {
        double recallSum;
        long rows;
        long computedPairs;
        long causalPairs;
    }

    private final TreeMap<Long, Sums> byHead = new TreeMap<>();

    @Override
    public synchronized void record(int layer, int head, double recallSum, long rows, long computedPairs, long causalPairs) {
        Sums s = byHead.computeIfAbsent(((long) layer << 32) | head, k -> new Sums());
        s.recallSum += recallSum;
        s.rows += rows;
        s.computedPairs += computedPairs;
        s.causalPairs += causalPairs;
    }

    synchronized Map<String, Object> toJson() {
        List<Map<String, Object>> heads = new ArrayList<>();
        double recallTotal = 0;
        long rowsTotal = 0;
        long computedTotal = 0;
        long causalTotal = 0;
        for (Map.Entry<Long, Sums> e : byHead.entrySet()) {
            Sums s = e.getValue();
            Map<String, Object> h = new LinkedHashMap<>();
            h.put("layer", (int) (e.getKey() >>> 32));
            h.put("head", (int) (long) e.getKey());
            h.put("recall", s.rows == 0 ? null : s.recallSum / s.rows);
            h.put("density", s.causalPairs == 0 ? null : (double) s.computedPairs / s.causalPairs);
            h.put("rows", s.rows);
            h.put("computed_pairs", s.computedPairs);
            h.put("causal_pairs", s.causalPairs);
            heads.add(h);
            recallTotal += s.recallSum;
            rowsTotal += s.rows;
            computedTotal += s.computedPairs;
            causalTotal += s.causalPairs;
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("mean_recall", rowsTotal == 0 ? null : recallTotal / rowsTotal);
        root.put("density", causalTotal == 0 ? null : (double) computedTotal / causalTotal);
        root.put("heads", heads);
        return root;
    }

    synchronized boolean isEmpty() {
        return byHead.isEmpty();
    }

    void write(Path file) throws IOException {
        Files.writeString(file, JsonMapper.builder().build().writerWithDefaultPrettyPrinter().writeValueAsString(toJson()));
    }
}
