package io.github.rpo4j.iterate;

import com.fasterxml.jackson.core.type.TypeReference;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a run produced. Both views list the evaluated models in order: the starting model M0 (iteration 0)
 * first, then iteration 1, 2, ...; so a run of T iterations has T + 1 entries.
 *
 * @param iterations one metrics object per evaluated model, M0 first, exactly as written to {@code iter-t/eval.json}
 *                   (snake_case keys; arrays as lists, so a fresh run and a resumed one give equal maps)
 * @param finalModel the directory of the last iteration's model
 * @param runDirectory where everything was written
 */
public record RunResult(List<Map<String, Object>> iterations, Path finalModel, Path runDirectory) {

    private static final TypeReference<LinkedHashMap<String, Object>> MAP = new TypeReference<>() { };

    public RunResult {
        List<Map<String, Object>> normalised = new ArrayList<>(iterations.size());
        for (Map<String, Object> m : iterations) {
            // Written and read back as eval.json is: arrays become lists and numbers take the types a resumed run
            // reads from disk, so the two compare equal.
            try {
                normalised.add(Collections.unmodifiableMap(
                        RunDirectory.JSON.readValue(RunDirectory.JSON.writeValueAsBytes(m), MAP)));
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException("iteration metrics are not JSON: " + e.getMessage(), e);
            }
        }
        iterations = List.copyOf(normalised);
    }

    /** Typed metrics of each evaluated model, M0 (iteration 0) first. */
    public List<IterationMetrics> metrics() {
        return iterations.stream().map(IterationMetrics::fromMap).toList();
    }

    /** Greedy test accuracy of each evaluated model, M0 (iteration 0) first. */
    public double[] testAccuracies() {
        return iterations.stream().mapToDouble(m -> ((Number) m.get("test_accuracy")).doubleValue()).toArray();
    }

    /** The last iteration's metrics. */
    public IterationMetrics last() {
        return IterationMetrics.fromMap(iterations.get(iterations.size() - 1));
    }
}
