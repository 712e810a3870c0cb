package io.github.rpo4j.iterate;

import io.github.rpo4j.io.AtomicFiles;
import io.github.rpo4j.model.ModelDirectory;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.train.TrainingLoop;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one loop every method runs in. It owns the run: the run directory's lock, what an interrupted run left
 * behind, config.json (settings checked against a resumed run's, and provenance), the copy of M0, each stage's
 * resume, evaluation, metrics.jsonl, the accuracy plot and the listeners. A {@link MethodStrategy} says how an
 * iteration collects data and what it trains on. For each iteration t = 1..T:
 * <pre>
 *   done on disk (iter-t/eval.json and iter-t/model/)?  skip the iteration
 *   data  = strategy.collect(t, M_{t-1})                 (skips itself when its file exists)
 *   M_t   = iter-t/model/ exists ? load it, strategy.restoreTrainingMetrics(t)
 *                                : strategy.train(t, M_{t-1}, data)
 *   evaluate M_t: first-turn greedy and maj@k, then strategy.evaluate(t, M_t); publish eval.json, metrics.jsonl
 * </pre>
 */
final class RunLoop<D> {

    private final LoopSettings shared;
    private final MethodStrategy<D> strategy;
    private final RunDirectory run;
    private final RunBookkeeping books;
    private final Logger log;

    /**
     * @param shared   the frozen settings every method shares
     * @param strategy the method
     * @param run      the prepared run directory
     */
    RunLoop(LoopSettings shared, MethodStrategy<D> strategy, RunDirectory run) {
        this.shared = shared;
        this.strategy = strategy;
        this.run = run;
        this.log = LoggerFactory.getLogger(strategy.getClass());
        this.books = new RunBookkeeping(run, shared.listeners(), log);
    }

    RunBookkeeping books() {
        return books;
    }

    /** Tells the listeners about each training step of iteration t. */
    TrainingLoop.StepListener stepListener(int t) {
        return (step, metrics) -> shared.listeners().forEach(l -> l.onTrainingStep(t, step, metrics));
    }

    /** The settings written to config.json: the method's, then the ones every loop shares. */
    Map<String, Object> settings() {
        Map<String, Object> c = new LinkedHashMap<>(strategy.settings());
        shared.toConfig().forEach(c::putIfAbsent);
        return c;
    }

    /** Runs (or resumes) every iteration and returns each evaluated model's metrics. */
    RunResult run() throws IOException {
        try (RunDirectory.Lock ignored = run.lock()) {
            return runLocked();
        }
    }

    private RunResult runLocked() throws IOException {
        long runStart = System.nanoTime();
        List<Path> leftovers = run.removeLeftovers();
        if (!leftovers.isEmpty()) {
            log.info("removed {} unfinished write(s) of an interrupted run: {}", leftovers.size(), leftovers);
        }
        RunConfig.checkAndWrite(run, settings(), shared.seed(), shared.acceptChangedSettings(), log);
        List<Map<String, Object>> all = new ArrayList<>();

        // Iteration 0: the starting model, copied into the run so the run is self-contained.
        if (!ModelDirectory.isComplete(run.model(0))) {
            ModelDirectory.save(run.model(0), shared.model(), shared.tokenizer());
        } else {
            log.info("resuming in {}", run.root());
        }
        all.add(evaluateStage(0, shared.model(), new LinkedHashMap<>(), runStart));

        TransformerLM current = shared.model();
        int iterations = strategy.iterations();
        for (int t = 1; t <= iterations; t++) {
            long iterStart = System.nanoTime();
            if (books.iterationDone(t)) {
                books.skipped(t, "iteration");
                all.add(books.readMetrics(t));
                current = null; // loaded lazily when a later iteration needs it
                continue;
            }
            if (current == null) {
                current = ModelDirectory.load(run.model(t - 1)).model();
            }
            Map<String, Object> info = new LinkedHashMap<>();
            D data = strategy.collect(t, current, info);
            if (ModelDirectory.isComplete(run.model(t))) {
                books.skipped(t, "train");
                current = ModelDirectory.load(run.model(t)).model();
                strategy.restoreTrainingMetrics(t, info);
            } else {
                // A stage killed mid-way resumes from run.trainingCheckpoint(t), which the strategy hands its trainer.
                current = strategy.train(t, current, data, info);
            }
            if (Files.exists(run.trainingCheckpoint(t))) {
                AtomicFiles.deleteRecursively(run.trainingCheckpoint(t)); // M_t is complete: the checkpoint is spent
            }
            all.add(evaluateStage(t, current, info, iterStart));
        }
        books.writePlot(all);
        return new RunResult(all, run.model(iterations), run.root());
    }

    private Map<String, Object> evaluateStage(int t, TransformerLM model, Map<String, Object> info, long start)
            throws IOException {
        if (Files.exists(run.evaluation(t))) {
            books.skipped(t, "evaluate");
            return books.readMetrics(t);
        }
        books.stage(t, "evaluate");
        Evaluation first = shared.evaluateFirstTurn(model, t);
        Map<String, Object> extra = strategy.evaluate(t, model);
        Map<String, Object> m = RunBookkeeping.firstTurnMetrics(t, first);
        extra.forEach((k, v) -> {
            if (!RunBookkeeping.PER_QUESTION_KEYS.contains(k)) {
                m.put(k, v);
            }
        });
        for (String key : strategy.reportedKeys()) {
            m.put(key, info.getOrDefault(key, null));
        }
        m.put("seconds", (System.nanoTime() - start) / 1e9);
        m.put("skipped_overlong_questions", shared.skippedOverlongQuestions());
        m.put("greedy_correct", first.greedyCorrectIds());
        extra.forEach(m::putIfAbsent);
        info.forEach(m::putIfAbsent);
        log.info("iteration {}: greedy accuracy {}{}{}", t, String.format("%.3f", first.greedyAccuracy()),
                first.k() > 0 ? String.format(" (maj@%d %.3f)", first.k(), first.majorityAccuracy()) : "",
                strategy.summary(m));
        books.publishEvaluation(t, m);
        return m;
    }
}
