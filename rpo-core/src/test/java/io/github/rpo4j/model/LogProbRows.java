package io.github.rpo4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Log-probabilities of a model's logits as plain arrays, and their largest difference: for reference tests. */
public final class LogProbRows {

    private LogProbRows() {
    }

    /** Row-wise log-softmax of logits (N, V), in double. */
    public static double[][] of(INDArray logits) {
        INDArray d = logits.castTo(DataType.DOUBLE);
        double[][] out = new double[(int) d.size(0)][];
        for (int t = 0; t < out.length; t++) {
            double[] row = d.getRow(t).toDoubleVector();
            double max = Double.NEGATIVE_INFINITY;
            for (double v : row) {
                max = Math.max(max, v);
            }
            double sum = 0;
            for (double v : row) {
                sum += Math.exp(v - max);
            }
            for (int s = 0; s < row.length; s++) {
                row[s] -= max + Math.log(sum);
            }
            out[t] = row;
        }
        return out;
    }

    /** The largest absolute difference between two tables of the same shape (checked). */
    static double maxDifference(double[][] a, double[][] b) {
        assertEquals(a.length, b.length);
        double diff = 0;
        for (int t = 0; t < a.length; t++) {
            assertEquals(a[t].length, b[t].length);
            for (int s = 0; s < a[t].length; s++) {
                diff = Math.max(diff, Math.abs(a[t][s] - b[t][s]));
            }
        }
        return diff;
    }
}
