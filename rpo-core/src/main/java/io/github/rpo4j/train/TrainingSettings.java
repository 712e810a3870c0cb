package io.github.rpo4j.train;

import com.fasterxml.jackson.annotation.JsonIgnore;
import io.github.rpo4j.optim.AdamW;

/**
 * How a trainer runs.
 *
 * @param learningRate   peak learning rate
 * @param warmupSteps    linear warm-up steps
 * @param minLrRatio     the cosine schedule ends at learningRate * minLrRatio (1 = constant after warm-up)
 * @param epochs         passes over the training items
 * @param batchSize      items per optimiser step
 * @param microBatchSize items per forward/backward; gradients accumulate over a step's micro-batches
 * @param maxGradNorm    clip the global gradient norm to this (0 = no clipping)
 * @param adamW          optimiser settings
 * @param seed           shuffling seed
 * @param progressBar    show a progress bar on the terminal
 * @param maxSteps       stop after this many steps even if the epochs (and the schedule) are longer; 0 = no limit
 * @param checkpointEvery how often a stage given a checkpoint directory writes its in-stage checkpoint
 * @param gradientShards each micro-batch's sequences are split into this many contiguous parts (fewer when it has
 *                       fewer sequences), each differentiated on its own, and their parameter gradients are added
 *                       in part order. This count decides the arithmetic (how that sum rounds): a run's results
 *                       depend on it, and on nothing in {@code threads}. 1 differentiates the micro-batch whole.
 * @param threads        how many parts (and chunks of the reference model's scoring) run at a time, each on a
 *                       thread of its own with one native thread; any count gives the same results. Not part of a
 *                       run's recorded settings, since it does not change them
 */
public record TrainingSettings(double learningRate, int warmupSteps, double minLrRatio, int epochs, int batchSize,
                               int microBatchSize, double maxGradNorm, AdamW.Settings adamW, long seed,
                               boolean progressBar, int maxSteps, CheckpointInterval checkpointEvery,
                               int gradientShards, @JsonIgnore int threads) {

    /**
     * The default {@link #gradientShards()}: two, so that training uses two cores, the most this machine class has
     * and the fewest that halves a step; more shards use more cores but make each product smaller.
     */
    public static final int DEFAULT_GRADIENT_SHARDS = 2;

    /**
     * When a training stage writes its in-stage checkpoint (only when it is given a directory to write it
     * in): after the first optimiser step at which {@code seconds} have passed since the last one, or
     * {@code steps} steps were taken since it, whichever comes first; 0 turns a criterion off.
     *
     * @param seconds wall-clock seconds between checkpoints; 0 = not by time
     * @param steps   optimiser steps between checkpoints; 0 = not by steps
     */
    public record CheckpointInterval(long seconds, int steps) {
        /** Every five minutes: a model-sized write that costs little next to five minutes of training. */
        public static final CheckpointInterval DEFAULT = new CheckpointInterval(300, 0);

        public CheckpointInterval {
            if (seconds < 0 || steps < 0) {
                throw new IllegalArgumentException("checkpoint interval must be >= 0 seconds and >= 0 steps, got "
                        + seconds + " s and " + steps + " steps");
            }
            if (seconds == 0 && steps == 0) {
                throw new IllegalArgumentException("checkpoint interval needs seconds or steps > 0");
            }
        }

        /** Whether a checkpoint is due {@code elapsedNanos} and {@code stepsSince} steps after the last one. */
        public boolean due(long elapsedNanos, int stepsSince) {
            return (seconds > 0 && elapsedNanos >= seconds * 1_000_000_000L) || (steps > 0 && stepsSince >= steps);
        }
    }

    /** Settings with the {@link CheckpointInterval#DEFAULT default} checkpoint interval. */
    public TrainingSettings(double learningRate, int warmupSteps, double minLrRatio, int epochs, int batchSize,
                            int microBatchSize, double maxGradNorm, AdamW.Settings adamW, long seed,
                            boolean progressBar, int maxSteps) {
        this(learningRate, warmupSteps, minLrRatio, epochs, batchSize, microBatchSize, maxGradNorm, adamW, seed,
                progressBar, maxSteps, CheckpointInterval.DEFAULT);
    }

    /** Settings with {@link #DEFAULT_GRADIENT_SHARDS} shards on {@link TrainingThreads#defaultThreads()} threads. */
    public TrainingSettings(double learningRate, int warmupSteps, double minLrRatio, int epochs, int batchSize,
                            int microBatchSize, double maxGradNorm, AdamW.Settings adamW, long seed,
                            boolean progressBar, int maxSteps, CheckpointInterval checkpointEvery) {
        this(learningRate, warmupSteps, minLrRatio, epochs, batchSize, microBatchSize, maxGradNorm, adamW, seed,
                progressBar, maxSteps, checkpointEvery, DEFAULT_GRADIENT_SHARDS, TrainingThreads.defaultThreads());
    }

    public TrainingSettings {
        if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
            throw new IllegalArgumentException("learning rate must be positive, got " + learningRate);
        }
        if (epochs < 1 || batchSize < 1 || microBatchSize < 1) {
            throw new IllegalArgumentException("epochs, batch size and micro-batch size must be >= 1, got "
                    + epochs + ", " + batchSize + ", " + microBatchSize);
        }
        if (maxSteps < 0) {
            throw new IllegalArgumentException("maxSteps must be >= 0 (0 = no limit), got " + maxSteps);
        }
        java.util.Objects.requireNonNull(checkpointEvery, "checkpointEvery");
        if (gradientShards < 1 || threads < 1) {
            throw new IllegalArgumentException("gradient shards and threads must be >= 1, got " + gradientShards
                    + " and " + threads);
        }
        if (warmupSteps < 0 || minLrRatio < 0 || minLrRatio > 1 || maxGradNorm < 0) {
            throw new IllegalArgumentException("invalid warmup " + warmupSteps + ", min lr ratio " + minLrRatio
                    + " or max grad norm " + maxGradNorm);
        }
    }

    /** Learning rate {@code lr}, one epoch, batches of 16 in micro-batches of 16, clip 1.0, no weight decay. */
    public static TrainingSettings defaults(double lr) {
        return new TrainingSettings(lr, 0, 1.0, 1, 16, 16, 1.0, AdamW.Settings.defaults().withWeightDecay(0), 0, true, 0);
    }

    public TrainingSettings withEpochs(int n) {
        return new TrainingSettings(learningRate, warmupSteps, minLrRatio, n, batchSize, microBatchSize, maxGradNorm,
                adamW, seed, progressBar, maxSteps, checkpointEvery, gradientShards, threads);
    }

    public TrainingSettings withBatch(int batch, int micro) {
        return new TrainingSettings(learningRate, warmupSteps, minLrRatio, epochs, batch, micro, maxGradNorm, adamW,
                seed, progressBar, maxSteps, checkpointEvery, gradientShards, threads);
    }

    public TrainingSettings withSchedule(int warmup, double minRatio) {
        return new TrainingSettings(learningRate, warmup, minRatio, epochs, batchSize, microBatchSize, maxGradNorm,
                adamW, seed, progressBar, maxSteps, checkpointEvery, gradientShards, threads);
    }

    public TrainingSettings withSeed(long s) {
        return new TrainingSettings(learningRate, warmupSteps, minLrRatio, epochs, batchSize, microBatchSize,
                maxGradNorm, adamW, s, progressBar, maxSteps, checkpointEvery, gradientShards, threads);
    }

    public TrainingSettings withLearningRate(double lr) {
        return new TrainingSettings(lr, warmupSteps, minLrRatio, epochs, batchSize, microBatchSize, maxGradNorm,
                adamW, seed, progressBar, maxSteps, checkpointEvery, gradientShards, threads);
    }

    public TrainingSettings withProgressBar(boolean show) {
        return new TrainingSettings(learningRate, warmupSteps, minLrRatio, epochs, batchSize, microBatchSize,
                maxGradNorm, adamW, seed, show, maxSteps, checkpointEvery, gradientShards, threads);
    }

    /** Stops after {@code steps} optimiser steps; the schedule still spans every epoch. */
    public TrainingSettings withMaxSteps(int steps) {
        return new TrainingSettings(learningRate, warmupSteps, minLrRatio, epochs, batchSize, microBatchSize,
                maxGradNorm, adamW, seed, progressBar, steps, checkpointEvery, gradientShards, threads);
    }

    /** Writes in-stage checkpoints at {@code every} (when the stage is given a directory). */
    public TrainingSettings withCheckpointEvery(CheckpointInterval every) {
        return new TrainingSettings(learningRate, warmupSteps, minLrRatio, epochs, batchSize, microBatchSize,
                maxGradNorm, adamW, seed, progressBar, maxSteps, every, gradientShards, threads);
    }

    public TrainingSettings withAdamW(AdamW.Settings settings) {
        return new TrainingSettings(learningRate, warmupSteps, minLrRatio, epochs, batchSize, microBatchSize,
                maxGradNorm, settings, seed, progressBar, maxSteps, checkpointEvery, gradientShards, threads);
    }

    /** Splits each micro-batch into {@code shards} parts; see {@link #gradientShards()}. */
    public TrainingSettings withGradientShards(int shards) {
        return new TrainingSettings(learningRate, warmupSteps, minLrRatio, epochs, batchSize, microBatchSize,
                maxGradNorm, adamW, seed, progressBar, maxSteps, checkpointEvery, shards, threads);
    }

    /** Runs up to {@code n} parts at a time; see {@link #threads()}. */
    public TrainingSettings withThreads(int n) {
        return new TrainingSettings(learningRate, warmupSteps, minLrRatio, epochs, batchSize, microBatchSize,
                maxGradNorm, adamW, seed, progressBar, maxSteps, checkpointEvery, gradientShards, n);
    }
}
