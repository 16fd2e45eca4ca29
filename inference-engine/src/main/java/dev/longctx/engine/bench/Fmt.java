package dev.longctx.engine.bench;

import java.util.Locale;

/** Number formats of the benchmark tables: about three significant digits, whatever the scale (CPU or GPU). */
final class Fmt {
    private Fmt() {}

    static String sig(Double v) {
        if (v == null || v.isNaN()) return "-";
        double a = Math.abs(v);
        String f = a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : a >= 1 ? "%.2f" : a == 0 ? "%.0f" : "%.3g";
        return String.format(Locale.ROOT, f, v);
    }

    static String percent(Double fraction) {
        return fraction == null || fraction.isNaN() ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * fraction);
    }

    /** Bytes in GiB, "n/a" when unknown. */
    static String gib(Long bytes) {
        return bytes == null ? "n/a" : String.format(Locale.ROOT, "%.2f", bytes / (double) (1L << 30));
    }
}
