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

    /**
     * Each metric's mean over all steps, and {@code lr_peak}, the schedule's highest learning rate: {@code lr} is
     * the mean rate over the steps, which under warm-up and decay is well below the peak that was set.
     */
    public Map<String, Double> means() {
        Map<String, Double> sum = new LinkedHashMap<>();
        double peak = Double.NaN;
        for (Map<String, Double> step : history) {
            step.forEach((k, v) -> sum.merge(k, v, Double::sum));
            Double lr = step.get("lr");
            if (lr != null && !(lr <= peak)) {
                peak = lr;
            }
        }
        sum.replaceAll((k, v) -> v / history.size());
        if (!Double.isNaN(peak)) {
            sum.put("lr_peak", peak);
        }
        return sum;
    }

    /** The last step's metrics (empty when no step ran). */
    public Map<String, Double> last() {
        return history.isEmpty() ? Map.of() : history.get(history.size() - 1);
    }
}
