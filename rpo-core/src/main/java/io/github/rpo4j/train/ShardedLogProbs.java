package io.github.rpo4j.train;

import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.tensor.GradientBuffers;
import io.github.rpo4j.tensor.Tape;
import io.github.rpo4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A micro-batch's summed completion log-probs ({@link PolicyLogProbs#of}), computed in a fixed number of
 * contiguous shards of its sequences so that a training step can use several cores: each shard's forward pass is
 * recorded on a tape of its own, {@link #backward} differentiates every shard with its part of the objective's
 * gradient, and the shards' parameter gradients are added to the parameters in shard order.
 *
 * <p>Which thread runs a shard does not matter: shard 0 adds its gradients to the parameters' own (so one shard
 * is exactly the unsharded computation), every later shard into {@link GradientBuffers} of its own, which are
 * added afterwards on the calling thread, shard 1 first. The result therefore depends on the shard count and not
 * on the thread count. Each shard pads its sequences to its own longest one.
 */
public final class ShardedLogProbs {

    private record Shard(int from, SequenceBatch batch, Tape tape, Tensor logProbs) {
    }

    private final TransformerLM model;
    private final TrainingThreads threads;
    private final List<Shard> shards;
    private final double[] values;
    private final int[] lengths;
    private boolean differentiated;

    private ShardedLogProbs(TransformerLM model, TrainingThreads threads, List<Shard> shards, int sequences) {
        this.model = model;
        this.threads = threads;
        this.shards = shards;
        this.values = new double[sequences];
        this.lengths = new int[sequences];
        for (Shard s : shards) {
            double[] v = s.logProbs().value().toDoubleVector();
            System.arraycopy(v, 0, values, s.from(), v.length);
            System.arraycopy(s.batch().lengths(), 0, lengths, s.from(), v.length);
        }
    }

    /**
     * Runs the forward passes of {@code sequences} split into {@code shardCount} parts (fewer when there are fewer
     * sequences; sizes differ by at most one, the first ones larger) on {@code threads}.
     *
     * @param context the model's context length, which bounds each shard's padded length
     */
    public static ShardedLogProbs forward(TransformerLM model, List<SequenceBatch.Sequence> sequences, int context,
                                          int shardCount, TrainingThreads threads) {
        if (sequences.isEmpty()) {
            throw new IllegalArgumentException("no sequences to score");
        }
        if (shardCount < 1) {
            throw new IllegalArgumentException("shard count must be >= 1, got " + shardCount);
        }
        int[] bounds = bounds(sequences.size(), shardCount);
        int count = bounds.length - 1;
        if (count == 1) {
            // The unsharded computation, on the calling thread's own tape, as before shards existed.
            SequenceBatch batch = SequenceBatch.of(sequences, context);
            return new ShardedLogProbs(model, threads, List.of(new Shard(0, batch, null, PolicyLogProbs.of(model, batch))),
                    sequences.size());
        }
        List<Shard> shards = threads.map(count, i -> {
            SequenceBatch batch = SequenceBatch.of(new ArrayList<>(sequences.subList(bounds[i], bounds[i + 1])), context);
            Tape tape = Tape.create();
            try (Tape.Scope ignored = Tape.use(tape)) {
                return new Shard(bounds[i], batch, tape, PolicyLogProbs.of(model, batch));
            }
        });
        return new ShardedLogProbs(model, threads, shards, sequences.size());
    }

    /** The start of each of at most {@code shardCount} near-equal contiguous parts of n items, then n. */
    static int[] bounds(int n, int shardCount) {
        int count = Math.min(n, shardCount);
        int[] bounds = new int[count + 1];
        for (int i = 0; i < count; i++) {
            bounds[i + 1] = bounds[i] + n / count + (i < n % count ? 1 : 0);
        }
        return bounds;
    }

    /** (B) the sequences' summed completion log-probs, in the order given (float32 values widened). */
    public double[] values() {
        return values.clone();
    }

    /** (B) the sequences' completion lengths in tokens. */
    public int[] lengths() {
        return lengths.clone();
    }

    /** How many shards the sequences were split into. */
    public int shardCount() {
        return shards.size();
    }

    /**
     * Adds d objective / d log-prob ({@code gradient}, one per sequence) times d log-prob / d parameters to the
     * parameters' gradients. Once only: the shards' tapes are spent afterwards.
     */
    public void backward(double[] gradient) {
        if (gradient.length != values.length) {
            throw new IllegalArgumentException("gradient has " + gradient.length + " entries for " + values.length
                    + " sequences");
        }
        if (differentiated) {
            throw new IllegalStateException("these log-probs were already differentiated");
        }
        differentiated = true;
        if (shards.size() == 1) {
            Tensor lp = shards.get(0).logProbs();
            lp.backward(Nd4j.createFromArray(gradient).castTo(lp.dataType()));
            return;
        }
        List<GradientBuffers> buffers = threads.map(shards.size(), i -> {
            Shard s = shards.get(i);
            double[] part = Arrays.copyOfRange(gradient, s.from(), s.from() + s.batch().batch());
            GradientBuffers collected = i == 0 ? null : new GradientBuffers();
            try (Tape.Scope tape = Tape.use(s.tape());
                 Tape.Scope redirect = collected == null ? () -> { } : collected.collect()) {
                s.logProbs().backward(Nd4j.createFromArray(part).castTo(s.logProbs().dataType()));
            }
            return collected;
        });
        Collection<Tensor> parameters = model.parameters().values();
        for (int i = 1; i < buffers.size(); i++) {
            buffers.get(i).addTo(parameters);
        }
    }
}
