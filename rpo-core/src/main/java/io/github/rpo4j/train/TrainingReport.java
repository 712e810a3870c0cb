package io.github.rpo4j.train;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a training run did: its steps, each step's metrics, and their means over the run.
 *
 * @param steps   optimiser steps taken
 * @param history one map of metrics per step (loss, grad_norm, lr and the objective's metrics)
 */
public record TrainingReport(int steps, List<Map<String, Double>> history) {

    public TrainingReport {
        history = List.copyOf(history);
    }

    /** Each metric's mean over all steps. */
    public Map<String, Double> means() {
        Map<String, Double> sum = new LinkedHashMap<>();
        for (Map<String, Double> step : history) {
            step.forEach((k, v) -> sum.merge(k, v, Double::sum));
        }
        sum.replaceAll((k, v) -> v / history.size());
        return sum;
    }

    /** The last step's metrics (empty when no step ran). */
    public Map<String, Double> last() {
        return history.isEmpty() ? Map.of() : history.get(history.size() - 1);
    }
}
