package dev.longctx.engine.eval;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;

/** Writes one PNG heatmap (context length × needle depth → accuracy) per attention mode, with XChart. */
public final class Heatmap {

    private Heatmap() {}

    /** Writes {@code <prefix>-<mode>.png} for every mode and returns the files. */
    public static List<Path> write(EvalResult result, Path prefix) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<Path> files = new ArrayList<>();
        List<Integer> lengths = result.lengths();
        List<Double> depths = result.depths();
        for (String mode : result.modes()) {
            HeatMapChart chart = new HeatMapChartBuilder().width(120 + 70 * lengths.size()).height(420)
                    .title("passkey accuracy (%): " + mode + ", " + result.model())
                    .xAxisTitle("context length (tokens)").yAxisTitle("needle depth").build();
            chart.getStyler().setRangeColors(new Color[] {new Color(0xd7301f), new Color(0xfee08b), new Color(0x1a9850)});
            chart.getStyler().setMin(0);
            chart.getStyler().setMax(100);
            chart.getStyler().setShowValue(true);
            chart.getStyler().setPlotContentSize(1);
            List<String> xs = lengths.stream().map(String::valueOf).toList();
            List<String> ys = depths.stream().map(d -> String.format("%.0f%%", 100 * d)).toList();
            List<Number[]> z = new ArrayList<>();
            for (EvalResult.Cell c : result.cells()) {
                if (!c.mode().equals(mode)) continue;
                z.add(new Number[] {lengths.indexOf(c.length()), depths.indexOf(c.depth()), Math.round(100 * c.accuracy())});
            }
            chart.addSeries("accuracy", xs, ys, z);
            Path file = Path.of(prefix + "-" + mode.replace('+', '_') + ".png");
            BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
            files.add(file);
        }
        return files;
    }
}
