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

    /** A model was evaluated: the object also written to metrics.jsonl. */
    default void onEvaluated(int iteration, Map<String, Object> metrics) {
    }
}
