package io.github.rpo4j.iterate;

import io.github.rpo4j.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

/** accuracy.png: greedy and majority-vote test accuracy per iteration. */
final class AccuracyPlot {

    private AccuracyPlot() {
    }

    static void write(Path file, List<Map<String, Object>> iterations) throws IOException {
        int n = iterations.size();
        double[] x = new double[n];
        double[] greedy = new double[n];
        double[] majority = new double[n];
        for (int i = 0; i < n; i++) {
            Map<String, Object> m = iterations.get(i);
            x[i] = ((Number) m.get("iteration")).doubleValue();
            greedy[i] = 100 * ((Number) m.get("test_accuracy")).doubleValue();
            majority[i] = 100 * ((Number) m.get("maj_at_k_accuracy")).doubleValue();
        }
        XYChart chart = new XYChartBuilder().width(640).height(420).title("Test accuracy per iteration")
                .xAxisTitle("iteration").yAxisTitle("accuracy (%)").build();
        chart.addSeries("greedy", x, greedy);
        int k = n == 0 ? 0 : ((Number) iterations.get(0).get("k")).intValue();
        if (k > 0) {
            chart.addSeries("majority vote (k=" + k + ")", x, majority);
        }
        // Rendered in memory and published through AtomicFiles, so a crash never leaves a truncated image.
        AtomicFiles.writeBytes(file, BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
    }
}
