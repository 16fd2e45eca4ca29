package dev.longctx.engine.attention;

import java.util.List;

public record SparseAttentionConfig(List<List<HeadBudget>> layers) {
    public record HeadBudget(int vertical, int slash, double score) {}

    public int numLayers() { return layers.size(); }

    HeadBudget[] layer(int l) { return layers.get(l).toArray(HeadBudget[]::new); }

    void checkHeads(int numHeads) {}
}
