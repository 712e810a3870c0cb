package io.github.rpo4j.tensor;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Shape helpers for the backward passes of broadcasting ops and reductions. */
final class Broadcast {

    private Broadcast() {
    }

    /**
     * Sums a gradient of the broadcast output's shape down to an input's shape: over the leading
     * axes the input lacks, and over the axes where the input has size 1.
     */
    static INDArray reduceTo(INDArray g, long[] shape) {
        long[] gs = g.shape();
        if (Arrays.equals(gs, shape)) {
            return g;
        }
        int lead = gs.length - shape.length;
        if (lead < 0) {
            throw new IllegalStateException("cannot reduce gradient " + Arrays.toString(gs) + " to " + Arrays.toString(shape));
        }
        int[] axes = new int[gs.length];
        int n = 0;
        for (int i = 0; i < gs.length; i++) {
            if (i < lead || (shape[i - lead] == 1 && gs[i] != 1)) {
                axes[n++] = i;
            }
        }
        if (n == 1 && axes[0] == 0 && shape[shape.length - 1] == gs[gs.length - 1]) {
            // The bias case, (N, ..., C) summed over the leading axis: as a matrix product.
            return sumRows(g.reshape('c', gs[0], g.length() / gs[0])).reshape('c', shape);
        }
        INDArray r = g.sum(true, Arrays.copyOf(axes, n));
        return r.reshape('c', shape);
    }

    private static final Map<String, INDArray> ONES = new ConcurrentHashMap<>();

    /**
     * Column sums of a matrix, (N, C) -> (1, C), as the product ones(1, N) x g. ND4J's sum over
     * axis 0 of a row-major matrix reduces with a stride of C and was several times slower than
     * this product; every bias and norm gradient is such a sum.
     */
    static INDArray sumRows(INDArray g) {
        long n = g.size(0);
        INDArray ones = ONES.computeIfAbsent(n + ":" + g.dataType(), k -> Nd4j.ones(g.dataType(), 1, n));
        return Nd4j.gemm(ones, g.ordering() == 'c' ? g : g.dup('c'), false, false);
    }

    /** The shape of a reduction over {@code axes} with keepDims (every axis when none are given). */
    static long[] keptShape(long[] shape, int[] axes) {
        long[] kept = shape.clone();
        if (axes.length == 0) {
            Arrays.fill(kept, 1);
        }
        for (int ax : axes) {
            kept[ax < 0 ? ax + shape.length : ax] = 1;
        }
        return kept;
    }

    /** Repeats a keepDims-shaped array along its size-1 axes to the full shape. */
    static INDArray expand(INDArray g, long[] shape) {
        if (Arrays.equals(g.shape(), shape)) {
            return g;
        }
        return g.broadcast(shape);
    }
}
