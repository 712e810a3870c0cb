package io.github.rpo4j.train;

import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.optim.AdamW;
import io.github.rpo4j.optim.GradientClipping;
import io.github.rpo4j.optim.LearningRateSchedule;
import io.github.rpo4j.tensor.Tape;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.ToIntFunction;
import java.util.function.ToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The optimisation loop every trainer shares: shuffled, length-bucketed batches; micro-batches with
 * gradient accumulation; clipping; AdamW under a warm-up + cosine schedule; a guard against
 * non-finite losses and gradients; progress (a bar on a terminal, log lines otherwise), per-step metrics and,
 * when given a directory, in-stage checkpoints to resume from.
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
        return run(model, items, length, settings, step, label, listener, null);
    }

    /**
     * Where a stage keeps its in-stage checkpoint, and how an item's content is fingerprinted so that a
     * checkpoint is only resumed by the stage that wrote it.
     *
     * @param directory   the stage's own directory; created when the first checkpoint is written
     * @param contentHash a hash of an item's content (token ids, weight, reward), the same in every process
     */
    public record Checkpoints<T>(Path directory, ToLongFunction<T> contentHash) {
        public Checkpoints {
            java.util.Objects.requireNonNull(directory, "directory");
            java.util.Objects.requireNonNull(contentHash, "contentHash");
        }
    }

    /**
     * As {@link #run(TransformerLM, List, ToIntFunction, TrainingSettings, MicroBatchStep, String, StepListener)},
     * with in-stage checkpoints when {@code checkpoints} is not null: at {@link TrainingSettings#checkpointEvery()}
     * the parameters, AdamW's state and the position in the schedule and the batch plan are written atomically
     * to {@code checkpoints.directory()}; a run that finds a checkpoint of the same plan there resumes after
     * its last step, so that it ends with the parameters an uninterrupted run ends with, bit for bit (same
     * machine and thread count). The listener hears only the steps this call runs; the report has every step.
     * The checkpoint stays after the run: the caller removes the directory once it has kept the trained model.
     */
    public static <T> TrainingReport run(TransformerLM model, List<T> items, ToIntFunction<T> length,
                                         TrainingSettings settings, MicroBatchStep<T> step, String label,
                                         StepListener listener, Checkpoints<T> checkpoints) {
        if (items.isEmpty()) {
            return new TrainingReport(0, List.of());
        }
        List<List<T>> batches = new ArrayList<>();
        int[] epochStart = new int[settings.epochs()];
        Random random = new Random(settings.seed());
        for (int epoch = 0; epoch < settings.epochs(); epoch++) {
            epochStart[epoch] = batches.size();
            batches.addAll(bucketedBatches(items, length, settings.batchSize(), random));
        }
        LearningRateSchedule schedule = new LearningRateSchedule(settings.learningRate(), settings.warmupSteps(),
                batches.size(), settings.minLrRatio());
        AdamW optimizer = new AdamW(model.parameters(), settings.adamW());
        int steps = settings.maxSteps() > 0 ? Math.min(settings.maxSteps(), batches.size()) : batches.size();
        List<Map<String, Double>> history = new ArrayList<>();
        int first = 0;
        String plan = null;
        if (checkpoints != null) {
            plan = planFingerprint(model, batches, settings, steps, checkpoints.contentHash());
            try {
                StageCheckpoint.Restored restored = StageCheckpoint.restore(checkpoints.directory(), model, optimizer,
                        steps, plan);
                if (restored != null) {
                    first = restored.stepsDone();
                    history.addAll(restored.history());
                    LOG.info("{}: resuming after step {} of {} from {}", label, first, steps,
                            StageCheckpoint.file(checkpoints.directory()));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(label + ": cannot resume from its checkpoint: " + e.getMessage(), e);
            }
        }
        Tape.clear();
        long lastCheckpointAt = System.nanoTime();
        int lastCheckpointStep = first;
        try (Progress progress = Progress.start(label, steps, settings.progressBar())) {
            progress.stepBy(first);
            for (int s = first; s < steps; s++) {
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
                int done = s + 1;
                if (checkpoints != null && done < steps
                        && settings.checkpointEvery().due(System.nanoTime() - lastCheckpointAt, done - lastCheckpointStep)) {
                    int epoch = epochOf(epochStart, s + 1);
                    try {
                        StageCheckpoint.write(checkpoints.directory(), model, optimizer, done, steps, epoch,
                                done - epochStart[epoch], plan, history);
                    } catch (IOException e) {
                        throw new UncheckedIOException(label + ": cannot write its checkpoint at step " + done + ": "
                                + e.getMessage(), e);
                    }
                    lastCheckpointAt = System.nanoTime();
                    lastCheckpointStep = done;
                    LOG.debug("{}: checkpoint after step {} of {}", label, done, steps);
                }
                listener.afterStep(done, metrics);
                progress.step();
                progress.setExtraMessage(String.format(" loss %.4f", loss));
                if (LOG.isDebugEnabled()) {
                    LOG.debug("{} step {}/{}: {}", label, done, batches.size(), metrics);
                }
            }
        }
        return new TrainingReport(history.size(), history);
    }

    /** The epoch that batch {@code batchIndex} (0-based) of the plan belongs to. */
    private static int epochOf(int[] epochStart, int batchIndex) {
        int epoch = 0;
        while (epoch + 1 < epochStart.length && epochStart[epoch + 1] <= batchIndex) {
            epoch++;
        }
        return epoch;
    }

    /**
     * A SHA-256 over what decides the stage's trajectory: the settings that shape it, the model's parameter
     * names and shapes, and the content of every batch in plan order (which the seed fixes).
     */
    private static <T> String planFingerprint(TransformerLM model, List<List<T>> batches, TrainingSettings settings,
                                              int steps, ToLongFunction<T> contentHash) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            ByteBuffer buffer = ByteBuffer.allocate(8);
            StringBuilder header = new StringBuilder();
            header.append(settings.learningRate()).append('|').append(settings.warmupSteps()).append('|')
                    .append(settings.minLrRatio()).append('|').append(settings.epochs()).append('|')
                    .append(settings.batchSize()).append('|').append(settings.microBatchSize()).append('|')
                    .append(settings.maxGradNorm()).append('|').append(settings.adamW()).append('|')
                    .append(settings.seed()).append('|').append(steps)
                    .append('|').append(settings.gradientShards());
            model.parameters().forEach((name, p) -> header.append('|').append(name)
                    .append(java.util.Arrays.toString(p.value().shape())).append(p.value().dataType()));
            digest.update(header.toString().getBytes(StandardCharsets.UTF_8));
            for (List<T> batch : batches) {
                for (T item : batch) {
                    digest.update(buffer.clear().putLong(contentHash.applyAsLong(item)).array());
                }
                digest.update(buffer.clear().putLong(-1).array()); // batch boundary
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
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
