package io.github.rpo4j.tensor;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

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
        INDArray r = g.sum(true, Arrays.copyOf(axes, n));
        return r.reshape('c', shape);
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
