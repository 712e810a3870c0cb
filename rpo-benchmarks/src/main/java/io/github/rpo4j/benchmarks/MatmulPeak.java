package io.github.rpo4j.benchmarks;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Float32 GFLOP/s of Nd4j.gemm at 1024 x 1024 x 1024 (taken as the machine's sgemm peak) and at
 * every product shape of {@link MatmulBenchmark}, one JSON line each.
 *
 * <p>Usage: {@code java -cp benchmarks.jar io.github.rpo4j.benchmarks.MatmulPeak}
 */
public final class MatmulPeak {

    private MatmulPeak() {
    }

    public static void main(String[] args) {
        ThreadSettings.applyFromSystemProperties();
        double peak = SgemmPeak.peak();
        Map<String, Object> head = new LinkedHashMap<>();
        head.put("shape", "1024x1024x1024");
        head.put("gflops", peak);
        head.putAll(ThreadSettings.describe());
        System.out.println(Json.line(head));
        for (Throughput.Size size : Throughput.Size.values()) {
            for (String product : ModelShape.PRODUCTS) {
                ModelShape s = ModelShape.parse(size.name() + "." + product);
                double gflops = SgemmPeak.gflops(s.m(), s.k(), s.n(), s.transB(), 3, 300);
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("shape", s.name());
                line.put("m", s.m());
                line.put("k", s.k());
                line.put("n", s.n());
                line.put("transB", s.transB());
                line.put("gflops", gflops);
                line.put("fraction_of_peak", gflops / peak);
                System.out.println(Json.line(line));
            }
        }
    }
}
