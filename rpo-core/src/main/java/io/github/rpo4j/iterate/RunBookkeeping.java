package io.github.rpo4j.iterate;

import io.github.rpo4j.data.JsonlWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;

/**
 * What the self-correction loops ({@link Rise}, {@link SCoRe}) share with {@link IterativeRpo}'s run
 * directory: per-iteration evaluations, metrics.jsonl rebuilt from them, the accuracy plot and the
 * listeners' stage notices.
 */
final class RunBookkeeping {

    /** Keys kept in eval.json but left out of metrics.jsonl: per-question detail. */
    static final List<String> PER_QUESTION_KEYS = List.of("greedy_correct", "turn_correct");

    private final RunDirectory run;
    private final List<IterationListener> listeners;
    private final Logger log;

    RunBookkeeping(RunDirectory run, List<IterationListener> listeners, Logger log) {
        this.run = run;
        this.listeners = List.copyOf(listeners);
        this.log = log;
    }

    /** True when iteration t's model and evaluation are both on disk. */
    boolean iterationDone(int t) {
        return Files.exists(run.evaluation(t)) && io.github.rpo4j.model.ModelDirectory.isComplete(run.model(t));
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> readMetrics(int t) throws IOException {
        return run.readJson(run.evaluation(t), LinkedHashMap.class);
    }

    /** Writes eval.json for iteration t, rebuilds metrics.jsonl and tells the listeners. */
    void publishEvaluation(int t, Map<String, Object> metrics) throws IOException {
        run.writeJson(run.evaluation(t), metrics);
        List<Map<String, Object>> lines = new ArrayList<>();
        for (int k = 0; Files.exists(run.evaluation(k)); k++) {
            Map<String, Object> m = readMetrics(k);
            PER_QUESTION_KEYS.forEach(m::remove);
            lines.add(m);
        }
        JsonlWriter.writeAtomically(run.metrics(), lines);
        listeners.forEach(l -> l.onEvaluated(t, metrics));
    }

    /**
     * Reads iteration t's train.json and puts its {@code means} (the training metrics a strategy reported when it
     * trained) back into {@code info}.
     *
     * @return the whole train.json, for a strategy's other keys
     */
    Map<?, ?> restoreTrainingMeans(int t, Map<String, Object> info) throws IOException {
        Map<?, ?> training = run.readJson(run.training(t), Map.class);
        if (training.get("means") instanceof Map<?, ?> means) {
            means.forEach((k, v) -> info.put(String.valueOf(k), v));
        }
        return training;
    }

    void writePlot(List<Map<String, Object>> all) {
        try {
            AccuracyPlot.write(run.accuracyPlot(), all);
        } catch (IOException | RuntimeException e) {
            log.warn("could not write {}: {}", run.accuracyPlot(), e.toString());
        }
    }

    void stage(int t, String stage) {
        log.info("iteration {}: {}", t, stage);
        listeners.forEach(l -> l.onStage(t, stage));
    }

    void skipped(int t, String stage) {
        log.info("iteration {}: {} already done, skipped", t, stage);
        listeners.forEach(l -> l.onStageSkipped(t, stage));
    }

    /** A list, so that metrics read the same in memory as read back from eval.json. */
    static List<Double> boxed(double[] values) {
        List<Double> out = new ArrayList<>(values.length);
        for (double v : values) {
            out.add(v);
        }
        return out;
    }

    /** Refuses a setting that was never given, naming the builder method that gives it. */
    static void requireGiven(Object value, String setting) {
        if (value == null) {
            throw new IllegalArgumentException("missing setting " + setting + ": call " + setting + "(...) on the builder");
        }
    }

    static void require(boolean ok, String setting, String expected) {
        if (!ok) {
            throw new IllegalArgumentException("invalid setting " + setting + ": must be " + expected);
        }
    }

    /** The turn-1 metrics every loop reports, from the standard evaluator (greedy and majority vote). */
    static Map<String, Object> firstTurnMetrics(int t, Evaluation e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("iteration", t);
        m.put("test_accuracy", e.greedyAccuracy());
        m.put("test_accuracy_ci95", e.greedyCi95());
        m.put("maj_at_k_accuracy", e.majorityAccuracy());
        m.put("k", e.k());
        m.put("test_questions", e.questions());
        return m;
    }
}
