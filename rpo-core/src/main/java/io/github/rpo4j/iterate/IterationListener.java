package io.github.rpo4j.iterate;

import java.util.Map;

/** Hears about a run's progress; every method has a do-nothing default. */
public interface IterationListener {

    /** A stage of iteration {@code iteration} starts (sample, pairs, train, evaluate). */
    default void onStage(int iteration, String stage) {
    }

    /** A stage was found complete in the run directory and skipped. */
    default void onStageSkipped(int iteration, String stage) {
    }

    /**
     * Training of iteration {@code iteration} finished optimiser step {@code step} (1-based) with these
     * metrics; the model in memory has been updated, nothing of the iteration is on disk yet.
     */
    default void onTrainingStep(int iteration, int step, Map<String, Double> metrics) {
    }

    /** A model was evaluated: the object also written to metrics.jsonl. */
    default void onEvaluated(int iteration, Map<String, Object> metrics) {
    }
}
