package io.github.rpo4j.train;

import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.optim.AdamW;
import io.github.rpo4j.optim.GradientClipping;
import io.github.rpo4j.optim.LearningRateSchedule;
import io.github.rpo4j.tensor.Tape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.ToIntFunction;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The optimisation loop every trainer shares: shuffled, length-bucketed batches; micro-batches with
 * gradient accumulation; clipping; AdamW under a warm-up + cosine schedule; a guard against
 * non-finite losses and gradients; a progress bar and per-step metrics.
 */
public final class TrainingLoop {

    private static final Logger LOG = LoggerFactory.getLogger(TrainingLoop.class);

    /** Batches are sorted by length within windows of this many batches, so padding stays small. */
    private static final int BUCKET_WINDOW = 32;

    /** One micro-batch's forward and backward pass. */
    @FunctionalInterface
    public interface MicroBatchStep<T> {
        /**
         * Computes the objective on {@code items}, calls backward with its gradient multiplied by
         * {@code gradScale} (the micro-batch's share of the step), and returns its metrics, "loss" among them.
         */
        Map<String, Double> run(List<T> items, double gradScale);
    }

    private TrainingLoop() {
    }

    /**
     * Trains {@code model} in place.
     *
     * @param length the token length of an item, for bucketing
     * @param label  names the run in the progress bar and in errors
     */
    public static <T> TrainingReport run(TransformerLM model, List<T> items, ToIntFunction<T> length,
                                         TrainingSettings settings, MicroBatchStep<T> step, String label) {
        return run(model, items, length, settings, step, label, (s, m) -> { });
    }

    /** Called after each optimiser step with the 1-based step number and that step's metrics. */
    @FunctionalInterface
    public interface StepListener {
        void afterStep(int step, Map<String, Double> metrics);
    }

    /** As {@link #run(TransformerLM, List, ToIntFunction, TrainingSettings, MicroBatchStep, String)}, with a listener. */
    public static <T> TrainingReport run(TransformerLM model, List<T> items, ToIntFunction<T> length,
                                         TrainingSettings settings, MicroBatchStep<T> step, String label,
                                         StepListener listener) {
        if (items.isEmpty()) {
            return new TrainingReport(0, List.of());
        }
        List<List<T>> batches = new ArrayList<>();
        Random random = new Random(settings.seed());
        for (int epoch = 0; epoch < settings.epochs(); epoch++) {
            batches.addAll(bucketedBatches(items, length, settings.batchSize(), random));
        }
        LearningRateSchedule schedule = new LearningRateSchedule(settings.learningRate(), settings.warmupSteps(),
                batches.size(), settings.minLrRatio());
        AdamW optimizer = new AdamW(model.parameters(), settings.adamW());
        List<Map<String, Double>> history = new ArrayList<>();
        Tape.clear();
        try (ProgressBar bar = settings.progressBar() ? new ProgressBarBuilder().setTaskName(label)
                .setInitialMax(batches.size()).setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500)
                .continuousUpdate().build() : null) {
            int steps = settings.maxSteps() > 0 ? Math.min(settings.maxSteps(), batches.size()) : batches.size();
            for (int s = 0; s < steps; s++) {
                List<T> batch = batches.get(s);
                Map<String, Double> metrics = new LinkedHashMap<>();
                for (int from = 0; from < batch.size(); from += settings.microBatchSize()) {
                    List<T> micro = batch.subList(from, Math.min(batch.size(), from + settings.microBatchSize()));
                    double share = (double) micro.size() / batch.size();
                    Map<String, Double> m;
                    try {
                        m = step.run(micro, share);
                    } catch (NonFiniteLossException e) {
                        optimizer.zeroGrad();
                        Tape.clear();
                        throw new NonFiniteLossException(label + ": at step " + (s + 1) + " of " + batches.size()
                                + " (batch of " + batch.size() + " items): " + e.getMessage()
                                + "; the parameters were not updated by this step");
                    }
                    m.forEach((k, v) -> metrics.merge(k, v * share, Double::sum));
                }
                double loss = metrics.getOrDefault("loss", Double.NaN);
                double norm = GradientClipping.clip(model.parameters().values(), settings.maxGradNorm());
                if (!Double.isFinite(loss) || !Double.isFinite(norm)) {
                    optimizer.zeroGrad();
                    throw new NonFiniteLossException(label + ": non-finite " + (Double.isFinite(loss) ? "gradient norm "
                            + norm : "loss " + loss) + " at step " + (s + 1) + " of " + batches.size() + " (batch of "
                            + batch.size() + " items); the parameters were not updated by this step");
                }
                double lr = schedule.at(s);
                optimizer.step(lr);
                metrics.put("grad_norm", norm);
                metrics.put("lr", lr);
                history.add(metrics);
                listener.afterStep(s + 1, metrics);
                if (bar != null) {
                    bar.step();
                    bar.setExtraMessage(String.format(" loss %.4f", loss));
                }
                if (LOG.isDebugEnabled()) {
                    LOG.debug("{} step {}/{}: {}", label, s + 1, batches.size(), metrics);
                }
            }
        }
        return new TrainingReport(history.size(), history);
    }

    /** Shuffles, cuts into batches of similar length, and shuffles the batches again. */
    static <T> List<List<T>> bucketedBatches(List<T> items, ToIntFunction<T> length, int batchSize, Random random) {
        List<T> shuffled = new ArrayList<>(items);
        Collections.shuffle(shuffled, random);
        List<List<T>> batches = new ArrayList<>();
        int window = batchSize * BUCKET_WINDOW;
        for (int from = 0; from < shuffled.size(); from += window) {
            List<T> chunk = new ArrayList<>(shuffled.subList(from, Math.min(shuffled.size(), from + window)));
            chunk.sort(Comparator.comparingInt(length));
            for (int b = 0; b < chunk.size(); b += batchSize) {
                batches.add(new ArrayList<>(chunk.subList(b, Math.min(chunk.size(), b + batchSize))));
            }
        }
        Collections.shuffle(batches, random);
        return batches;
    }
}
