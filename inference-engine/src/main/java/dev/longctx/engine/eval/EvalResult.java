package dev.longctx.engine.eval;

import java.util.List;

/** Passkey accuracy per (mode, length, depth) cell, with what produced it. */
public record EvalResult(String model, int trainingLength, List<Cell> cells) {

    public record Cell(String mode, int length, double depth, int samples, int correct) {
        public double accuracy() { return samples == 0 ? 0 : (double) correct / samples; }
    }

    /** Mean accuracy of one mode at one length, over depths. */
    public double accuracy(String mode, int length) {
        int n = 0, ok = 0;
        for (Cell c : cells) {
            if (c.mode().equals(mode) && c.length() == length) {
                n += c.samples();
                ok += c.correct();
            }
        }
        return n == 0 ? Double.NaN : (double) ok / n;
    }

    public List<String> modes() {
        return cells.stream().map(Cell::mode).distinct().toList();
    }

    public List<Integer> lengths() {
        return cells.stream().map(Cell::length).distinct().sorted().toList();
    }

    public List<Double> depths() {
        return cells.stream().map(Cell::depth).distinct().sorted().toList();
    }

    /** A markdown table: one row per length, one column per mode, accuracy over all depths. */
    public String table() {
        StringBuilder sb = new StringBuilder("| length | × train |");
        for (String m : modes()) sb.append(' ').append(m).append(" |");
        sb.append("\n|---|---|");
        sb.append("---|".repeat(modes().size())).append('\n');
        for (int len : lengths()) {
            sb.append("| ").append(len).append(" | ")
                    .append(trainingLength > 0 ? String.format("%.1f", (double) len / trainingLength) : "-").append(" |");
            for (String m : modes()) {
                double a = accuracy(m, len);
                sb.append(Double.isNaN(a) ? " - |" : String.format(" %.0f%% |", 100 * a));
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
