package dev.longctx.engine.eval;

import dev.longctx.engine.EngineOptions;
import java.nio.file.Path;

/** The three ways the evaluation runs a model. */
public enum AttentionMode {
    ROPE("rope", false, false),
    DCA("dca", true, false),
    DCA_SPARSE("dca+sparse", true, true);

    public final String label;
    final boolean dca;
    final boolean sparse;

    AttentionMode(String label, boolean dca, boolean sparse) {
        this.label = label;
        this.dca = dca;
        this.sparse = sparse;
    }

    public EngineOptions apply(EngineOptions base, int sparseThreshold, Path sparseConfig) {
        return base.withDca(dca).withSparse(sparse, sparseThreshold, sparseConfig);
    }

    public static AttentionMode parse(String s) {
        for (AttentionMode m : values()) {
            if (m.label.equalsIgnoreCase(s) || m.name().equalsIgnoreCase(s)) return m;
        }
        throw new IllegalArgumentException("unknown attention mode '" + s + "' (rope, dca, dca+sparse)");
    }
}
