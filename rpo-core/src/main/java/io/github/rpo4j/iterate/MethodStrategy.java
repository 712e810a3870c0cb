package io.github.rpo4j.iterate;

import io.github.rpo4j.model.TransformerLM;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * What one method does inside {@link RunLoop}: how an iteration collects its data from M_{t-1} and what M_t is
 * trained on. The loop owns everything else: the run directory's lock, leftovers and config.json, the copy of M0,
 * skipping completed stages on a rerun, evaluation, metrics.jsonl, the plot and the listeners. Each stage a
 * strategy runs must publish its output atomically (see {@link RunDirectory}) and skip itself when that output
 * exists, so a killed run resumes where it stopped.
 *
 * @param <D> the data an iteration collects (samples, episodes, rollouts)
 */
public interface MethodStrategy<D> {

    /** The method's settings, written to config.json's {@code settings} next to the loop's and compared on resume. */
    Map<String, Object> settings();

    /** Iterations of the run. */
    int iterations();

    /**
     * Collects iteration t's data from {@code model} (M_{t-1}), or reads it back when its file exists, and puts
     * the collection's metrics into {@code info}.
     */
    D collect(int t, TransformerLM model, Map<String, Object> info) throws IOException;

    /**
     * Trains M_t from {@code model} (M_{t-1}) on {@code data}, publishes it to the run directory's
     * {@code iter-t/model/} with its training report, and puts the training's metrics into {@code info}.
     *
     * @return M_t
     */
    TransformerLM train(int t, TransformerLM model, D data, Map<String, Object> info) throws IOException;

    /** When M_t was found on disk: puts the metrics {@link #train} reported back into {@code info}, from its files. */
    void restoreTrainingMetrics(int t, Map<String, Object> info) throws IOException;

    /**
     * Evaluation beyond the loop's first-turn greedy and majority vote (for example accuracy per turn); the
     * returned metrics follow the first-turn ones in eval.json. Keys listed in
     * {@link RunBookkeeping#PER_QUESTION_KEYS} stay out of metrics.jsonl.
     */
    default Map<String, Object> evaluate(int t, TransformerLM model) {
        return Map.of();
    }

    /** The collection and training metrics each evaluation reports (null when absent, as for M0), in this order. */
    List<String> reportedKeys();

    /** A log line's tail after an evaluation, from its metrics. */
    default String summary(Map<String, Object> metrics) {
        return "";
    }
}
