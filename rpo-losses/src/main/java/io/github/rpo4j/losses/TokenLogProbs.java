package io.github.rpo4j.losses;

import java.util.Arrays;
import java.util.stream.IntStream;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Fused token log-probability kernel: log-softmax, gather and per-sequence sums in one pass over
 * the logits, and the matching backward pass.
 *
 * <h2>Layout</h2>
 * B sequences of T positions each, flattened sequence-major: row {@code n = b·T + t}.
 * <ul>
 *   <li>{@code logits}: (B·T, V), or (B, T, V); float32 or float64</li>
 *   <li>{@code targets}: (B, T), integer-valued (any numeric type), the token at each position
 *       that the logits of that position predict (callers shift by one beforehand)</li>
 *   <li>{@code completionMask}: (B, T), 1 where the position is a completion token that counts,
 *       0 for prompt and padding; targets at masked positions are ignored (may be e.g. -100)</li>
 * </ul>
 *
 * <h2>Why a fused loop</h2>
 * Composing ND4J ops (max, subtract, exp, sum, log, subtract, one-hot multiply) materialises
 * several (N, V) temporaries, which at V = 32000 dominates memory traffic. Here each row is read
 * once into a scratch buffer, reduced with a max-shifted log-sum-exp accumulated in double
 * precision, and, in the backward pass, the gradient row is written straight into the output.
 * Rows are independent, so large inputs are split across the common fork-join pool; each row's
 * arithmetic is sequential, so results do not depend on the number of threads.
 */
public final class TokenLogProbs {

    /** Below this many logits the work runs on the calling thread. */
    private static final long PARALLEL_THRESHOLD = 1L << 20;
    /** Rows per parallel task. */
    private static final int ROWS_PER_TASK = 16;

    private TokenLogProbs() {
    }

    /**
     * Per-token log-probs, per-sequence sums and completion lengths.
     *
     * @param logits (B·T, V) or (B, T, V), float32 or float64
     * @param targets (B, T) token ids
     * @param completionMask (B, T) of 0/1
     * @return token log-probs (B, T), sequence sums (B), completion lengths (B)
     */
    public static TokenLogProbsResult forward(INDArray logits, INDArray targets, INDArray completionMask) {
        Layout layout = Layout.of(logits, targets, completionMask);
        RowReader reader = RowReader.of(layout.logits);
        int n = layout.rows();
        int v = layout.vocab;
        double[] tokenLogProbs = new double[n]; // (N)
        runRows(n, v, (from, to) -> {
            double[] row = new double[v];
            for (int r = from; r < to; r++) {
                if (!layout.counted[r]) {
                    continue;
                }
                reader.read(r, row);
                tokenLogProbs[r] = row[layout.targets[r]] - logSumExp(row);
            }
        });

        double[] sequenceLogProbs = new double[layout.sequences]; // (B)
        int[] lengths = new int[layout.sequences]; // (B)
        for (int r = 0; r < n; r++) {
            if (layout.counted[r]) {
                int seq = r / layout.positions;
                sequenceLogProbs[seq] += tokenLogProbs[r];
                lengths[seq]++;
            }
        }
        INDArray tokens = Nd4j.createFromArray(tokenLogProbs).castTo(layout.logits.dataType())
                .reshape(layout.sequences, layout.positions);
        return new TokenLogProbsResult(tokens, sequenceLogProbs, lengths);
    }

    /**
     * Gradient of {@code Σ_b w_b · seqLogProb_b} with respect to the logits: for each counted row
     * {@code n} of sequence {@code b}, {@code w_b (onehot(target_n) - softmax(logits_n))}; zero
     * rows elsewhere.
     *
     * @param logits (B·T, V) or (B, T, V), float32 or float64
     * @param targets (B, T) token ids
     * @param completionMask (B, T) of 0/1
     * @param sequenceWeights (B) {@code dL / d seqLogProb_b}, e.g. an {@link ObjectiveResult}'s gradient
     * @return dL/dlogits with the shape and data type of {@code logits}
     */
    public static INDArray backwardFromSequenceWeights(INDArray logits, INDArray targets, INDArray completionMask,
                                                       double[] sequenceWeights) {
        Layout layout = Layout.of(logits, targets, completionMask);
        Checks.requireSameLength(sequenceWeights, "sequenceWeights", layout.sequences,
                "the number of sequences (targets.size(0))");
        Checks.requireFinite(sequenceWeights, "sequenceWeights");
        double[] rowWeights = new double[layout.rows()]; // (N)
        for (int r = 0; r < rowWeights.length; r++) {
            rowWeights[r] = sequenceWeights[r / layout.positions];
        }
        return backward(layout, rowWeights, logits.shape());
    }

    /**
     * INDArray variant of {@link #backwardFromSequenceWeights(INDArray, INDArray, INDArray, double[])}.
     *
     * @param logits (B·T, V) or (B, T, V)
     * @param targets (B, T)
     * @param completionMask (B, T)
     * @param sequenceWeights (B)
     * @return dL/dlogits
     */
    public static INDArray backwardFromSequenceWeights(INDArray logits, INDArray targets, INDArray completionMask,
                                                       INDArray sequenceWeights) {
        return backwardFromSequenceWeights(logits, targets, completionMask,
                Checks.toDoubles(sequenceWeights, "sequenceWeights"));
    }

    /**
     * Gradient of {@code Σ_n w_n · tokenLogProb_n} with respect to the logits: for each counted
     * row, {@code w_n (onehot(target_n) - softmax(logits_n))}; zero rows where the mask is 0.
     *
     * @param logits (B·T, V) or (B, T, V), float32 or float64
     * @param targets (B, T) token ids
     * @param completionMask (B, T) of 0/1
     * @param tokenWeights (B, T) or (B·T) {@code dL / d tokenLogProb}
     * @return dL/dlogits with the shape and data type of {@code logits}
     */
    public static INDArray backwardFromTokenWeights(INDArray logits, INDArray targets, INDArray completionMask,
                                                    INDArray tokenWeights) {
        Layout layout = Layout.of(logits, targets, completionMask);
        Checks.requireNonNull(tokenWeights, "tokenWeights");
        if (tokenWeights.length() != layout.rows()) {
            throw new IllegalArgumentException("tokenWeights has " + tokenWeights.length() + " elements (shape "
                    + Arrays.toString(tokenWeights.shape()) + ") but there are B·T = " + layout.rows() + " positions");
        }
        double[] rowWeights = tokenWeights.castTo(DataType.DOUBLE).dup('c').data().asDouble(); // (N)
        Checks.requireFinite(rowWeights, "tokenWeights");
        return backward(layout, rowWeights, logits.shape());
    }

    private static INDArray backward(Layout layout, double[] rowWeights, long[] outputShape) {
        int n = layout.rows();
        int v = layout.vocab;
        INDArray grad = Nd4j.createUninitialized(layout.logits.dataType(), n, v); // (N, V), c-order
        RowReader reader = RowReader.of(layout.logits);
        RowWriter writer = RowWriter.of(grad);
        runRows(n, v, (from, to) -> {
            double[] row = new double[v];
            for (int r = from; r < to; r++) {
                double w = layout.counted[r] ? rowWeights[r] : 0.0;
                if (w == 0.0) {
                    // Output memory is uninitialised, so zero rows must be written too.
                    Arrays.fill(row, 0.0);
                    writer.write(r, row);
                    continue;
                }
                reader.read(r, row);
                // softmax = exp(x - max) / Σ exp(x - max); keeping the shifted exponentials from the
                // normalising pass means one exp per logit instead of two.
                double scale = -w / exponentiateShifted(row);
                for (int k = 0; k < v; k++) {
                    row[k] *= scale;
                }
                row[layout.targets[r]] += w;
                writer.write(r, row);
            }
        });
        return grad.reshape(outputShape);
    }

    /** Max-shifted log-sum-exp; the shift keeps every exponent ≤ 0. */
    private static double logSumExp(double[] row) {
        double max = Double.NEGATIVE_INFINITY;
        for (double x : row) {
            max = Math.max(max, x);
        }
        if (max == Double.NEGATIVE_INFINITY) {
            return max;
        }
        double sum = 0;
        for (double x : row) {
            sum += Math.exp(x - max);
        }
        return max + Math.log(sum);
    }

    /**
     * Replaces each {@code x_k} of the row by {@code exp(x_k - max)} and returns their sum, so that
     * {@code softmax_k = row_k / sum}.
     */
    private static double exponentiateShifted(double[] row) {
        double max = Double.NEGATIVE_INFINITY;
        for (double x : row) {
            max = Math.max(max, x);
        }
        double sum = 0;
        for (int k = 0; k < row.length; k++) {
            double e = Math.exp(row[k] - max);
            row[k] = e;
            sum += e;
        }
        return sum;
    }

    @FunctionalInterface
    private interface RowRange {
        void run(int from, int to);
    }

    private static void runRows(int rows, int vocab, RowRange body) {
        if ((long) rows * vocab < PARALLEL_THRESHOLD || rows <= ROWS_PER_TASK) {
            body.run(0, rows);
            return;
        }
        int tasks = (rows + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
        IntStream.range(0, tasks).parallel().forEach(task -> {
            int from = task * ROWS_PER_TASK;
            body.run(from, Math.min(rows, from + ROWS_PER_TASK));
        });
    }

    /** Validated shapes plus host copies of targets and mask. */
    private static final class Layout {
        final INDArray logits; // (N, V), c-order, own buffer
        final int sequences;
        final int positions;
        final int vocab;
        final int[] targets; // (N)
        final boolean[] counted; // (N)

        private Layout(INDArray logits, int sequences, int positions, int vocab, int[] targets, boolean[] counted) {
            this.logits = logits;
            this.sequences = sequences;
            this.positions = positions;
            this.vocab = vocab;
            this.targets = targets;
            this.counted = counted;
        }

        int rows() {
            return sequences * positions;
        }

        static Layout of(INDArray logits, INDArray targets, INDArray completionMask) {
            Checks.requireNonNull(logits, "logits");
            Checks.requireNonNull(targets, "targets");
            Checks.requireNonNull(completionMask, "completionMask");
            if (targets.rank() != 2) {
                throw new IllegalArgumentException("targets must have shape (B, T), got "
                        + Arrays.toString(targets.shape()));
            }
            if (!Arrays.equals(targets.shape(), completionMask.shape())) {
                throw new IllegalArgumentException("completionMask has shape " + Arrays.toString(completionMask.shape())
                        + " but targets has shape " + Arrays.toString(targets.shape()));
            }
            DataType type = logits.dataType();
            if (type != DataType.FLOAT && type != DataType.DOUBLE) {
                throw new IllegalArgumentException("logits must be FLOAT or DOUBLE, got " + type);
            }
            long b = targets.size(0);
            long t = targets.size(1);
            long n = b * t;
            long v;
            if (logits.rank() == 2) {
                if (logits.size(0) != n) {
                    throw new IllegalArgumentException("logits has " + logits.size(0) + " rows but targets (B, T) = ("
                            + b + ", " + t + ") needs B·T = " + n);
                }
                v = logits.size(1);
            } else if (logits.rank() == 3) {
                if (logits.size(0) != b || logits.size(1) != t) {
                    throw new IllegalArgumentException("logits has shape " + Arrays.toString(logits.shape())
                            + " but targets has shape " + Arrays.toString(targets.shape()));
                }
                v = logits.size(2);
            } else {
                throw new IllegalArgumentException("logits must have shape (B·T, V) or (B, T, V), got "
                        + Arrays.toString(logits.shape()));
            }
            if (v < 1 || n < 1) {
                throw new IllegalArgumentException("logits must be non-empty, got shape "
                        + Arrays.toString(logits.shape()));
            }
            if (n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("B·T = " + n + " exceeds " + Integer.MAX_VALUE);
            }

            // The row readers address the buffer directly, so they need a dense c-order buffer of exactly N·V.
            INDArray dense = logits;
            if (dense.isView() || dense.ordering() != 'c' || dense.data().length() != dense.length()) {
                dense = dense.dup('c');
            }
            dense = dense.reshape(n, v);

            double[] targetValues = targets.castTo(DataType.DOUBLE).dup('c').data().asDouble();
            double[] maskValues = completionMask.castTo(DataType.DOUBLE).dup('c').data().asDouble();
            int[] ids = new int[(int) n];
            boolean[] counted = new boolean[(int) n];
            for (int r = 0; r < n; r++) {
                double m = maskValues[r];
                if (m != 0.0 && m != 1.0) {
                    throw new IllegalArgumentException("completionMask[" + (r / t) + ", " + (r % t) + "] is " + m
                            + "; the mask must be 0 or 1");
                }
                counted[r] = m == 1.0;
                if (counted[r]) {
                    double id = targetValues[r];
                    if (id != Math.rint(id) || id < 0 || id >= v) {
                        throw new IllegalArgumentException("targets[" + (r / t) + ", " + (r % t) + "] is " + id
                                + " but must be an integer in [0, " + v + ") at a counted position");
                    }
                    ids[r] = (int) id;
                }
            }
            return new Layout(dense, (int) b, (int) t, (int) v, ids, counted);
        }
    }

    /** Copies one row of a dense (N, V) buffer into a double scratch row; safe for concurrent use. */
    private interface RowReader {
        void read(int row, double[] dst);

        static RowReader of(INDArray dense) {
            int v = (int) dense.size(1);
            if (dense.dataType() == DataType.FLOAT) {
                FloatPointer base = new FloatPointer(dense.data().addressPointer());
                ThreadLocal<float[]> scratch = ThreadLocal.withInitial(() -> new float[v]);
                return (row, dst) -> {
                    float[] tmp = scratch.get();
                    new FloatPointer(base).position((long) row * v).get(tmp, 0, v);
                    for (int k = 0; k < v; k++) {
                        dst[k] = tmp[k];
                    }
                };
            }
            DoublePointer base = new DoublePointer(dense.data().addressPointer());
            return (row, dst) -> new DoublePointer(base).position((long) row * v).get(dst, 0, v);
        }
    }

    /** Writes a double scratch row into one row of a dense (N, V) buffer; safe for concurrent use. */
    private interface RowWriter {
        void write(int row, double[] src);

        static RowWriter of(INDArray dense) {
            int v = (int) dense.size(1);
            if (dense.dataType() == DataType.FLOAT) {
                FloatPointer base = new FloatPointer(dense.data().addressPointer());
                ThreadLocal<float[]> scratch = ThreadLocal.withInitial(() -> new float[v]);
                return (row, src) -> {
                    float[] tmp = scratch.get();
                    for (int k = 0; k < v; k++) {
                        tmp[k] = (float) src[k];
                    }
                    new FloatPointer(base).position((long) row * v).put(tmp, 0, v);
                };
            }
            DoublePointer base = new DoublePointer(dense.data().addressPointer());
            return (row, src) -> new DoublePointer(base).position((long) row * v).put(src, 0, v);
        }
    }
}
