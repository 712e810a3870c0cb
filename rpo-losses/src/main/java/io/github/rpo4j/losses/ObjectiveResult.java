package io.github.rpo4j.losses;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The value of a sequence objective, its gradient with respect to the policy's sequence
 * log-probabilities and the metrics logged alongside it.
 *
 * <p>For pair objectives (the DPO family and RPO) {@code chosenGradient[i]} is
 * {@code dL / d logπ(chosen_i)} and {@code rejectedGradient[i]} is
 * {@code dL / d logπ(rejected_i)}. For single-sequence objectives (NLL, reward-weighted NLL,
 * REINFORCE) {@code chosenGradient} holds {@code dL / d logπ(y_i)} (also available as
 * {@link #gradient()}) and {@code rejectedGradient} is empty.
 *
 * <p>Instances are immutable: arrays are copied on the way in and on the way out.
 *
 * @param value the objective (a batch mean)
 * @param chosenGradient {@code dL / d logπ} of the chosen (or only) sequences, length B
 * @param rejectedGradient {@code dL / d logπ} of the rejected sequences, length B, or empty
 * @param metrics named scalars, in insertion order (TRL's names where TRL logs the quantity)
 */
public record ObjectiveResult(double value, double[] chosenGradient, double[] rejectedGradient,
                              Map<String, Double> metrics) {

    /** Copies every argument so later changes by the caller cannot reach this result. */
    public ObjectiveResult {
        if (chosenGradient == null) {
            throw new IllegalArgumentException("chosenGradient must not be null");
        }
        if (rejectedGradient == null) {
            throw new IllegalArgumentException("rejectedGradient must not be null (use an empty array)");
        }
        if (metrics == null) {
            throw new IllegalArgumentException("metrics must not be null");
        }
        chosenGradient = chosenGradient.clone();
        rejectedGradient = rejectedGradient.clone();
        metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
    }

    /**
     * A result for an objective over one sequence per example.
     *
     * @param value the objective
     * @param gradient {@code dL / d logπ(y_i)}, length B
     * @param metrics named scalars
     * @return a result whose {@link #rejectedGradient()} is empty
     */
    public static ObjectiveResult single(double value, double[] gradient, Map<String, Double> metrics) {
        return new ObjectiveResult(value, gradient, new double[0], metrics);
    }

    /** @return a copy of {@code dL / d logπ} of the chosen (or only) sequences */
    @Override
    public double[] chosenGradient() {
        return chosenGradient.clone();
    }

    /** @return a copy of {@code dL / d logπ} of the rejected sequences; empty for single-sequence objectives */
    @Override
    public double[] rejectedGradient() {
        return rejectedGradient.clone();
    }

    /** @return for single-sequence objectives, a copy of {@code dL / d logπ(y_i)}; same as {@link #chosenGradient()} */
    public double[] gradient() {
        return chosenGradient.clone();
    }

    /** @return whether this result carries a separate gradient for rejected sequences */
    public boolean isPairwise() {
        return rejectedGradient.length > 0;
    }

    /**
     * @param name a metric name such as {@code "rewards/margins"}
     * @return its value
     * @throws IllegalArgumentException if this result has no such metric
     */
    public double metric(String name) {
        Double v = metrics.get(name);
        if (v == null) {
            throw new IllegalArgumentException("no metric named '" + name + "'; available: " + metrics.keySet());
        }
        return v;
    }
}
