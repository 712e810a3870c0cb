package io.github.rpo4j.iterate;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What a run produced.
 *
 * @param iterations one metrics object per evaluated model, iteration 0 (the starting model) first
 * @param finalModel the directory of the last iteration's model
 * @param runDirectory where everything was written
 */
public record RunResult(List<Map<String, Object>> iterations, Path finalModel, Path runDirectory) {

    public RunResult {
        iterations = List.copyOf(iterations);
    }

    /** Greedy test accuracy of each evaluated model, iteration 0 first. */
    public double[] testAccuracies() {
        return iterations.stream().mapToDouble(m -> ((Number) m.get("test_accuracy")).doubleValue()).toArray();
    }
}
