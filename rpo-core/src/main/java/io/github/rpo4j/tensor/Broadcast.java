package io.github.rpo4j.tensor;

import java.lang.ref.Reference;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.BroadcastOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastSubOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Row- and column-vector broadcasts that keep their operands alive through the native call, and shape helpers
 * for the backward passes of broadcasting ops and reductions.
 */
final class Broadcast {

    private Broadcast() {
    }

    // ------------------------------------------------------------------ in-place broadcasts

    /** target (R, C) += row (1, C) on every row, in place; returns target. */
    static INDArray addiRowVector(INDArray target, INDArray row) {
        return exec(new BroadcastAddOp(target, row, target, 1));
    }

    /** target (R, C) *= row (1, C) on every row, in place; returns target. */
    static INDArray muliRowVector(INDArray target, INDArray row) {
        return exec(new BroadcastMulOp(target, row, target, 1));
    }

    /** target (R, C) -= column (R, 1) on every column, in place; returns target. */
    static INDArray subiColumnVector(INDArray target, INDArray column) {
        return exec(new BroadcastSubOp(target, column, target, 0));
    }

    /** target (R, C) *= column (R, 1) on every column, in place; returns target. */
    static INDArray muliColumnVector(INDArray target, INDArray column) {
        return exec(new BroadcastMulOp(target, column, target, 0));
    }

    /**
     * Runs a broadcast op and keeps the op, and with it its operands and its dimension array, reachable until
     * the native call has returned.
     *
     * <p>ND4J 1.0.0-M2.1 frees an array's native buffer from a collector thread once the Java object that owns
     * it is unreachable, and its executioner does not use the op after handing the native call the bare
     * buffer pointers. So while {@code execBroadcast} runs, the op's dimension array (which nothing else
     * holds), a temporary operand such as {@code bias.reshape(1, C)} (a view with a native buffer object of
     * its own) and the op itself are garbage to the JIT-compiled caller, and a collection at that moment,
     * which any other allocating thread can start, frees buffers the native code is still reading: the JVM
     * died with SIGSEGV in {@code sd::TadDescriptor} (the dimensions) and in {@code sd::DataBuffer::special()}
     * (the operand's buffer object). ND4J's own {@code addiRowVector} and its relatives run exactly such an
     * op, which is why rpo4j calls these methods instead (docs/benchmarks.md, "Native crashes").
     */
    private static INDArray exec(BroadcastOp op) {
        try {
            Nd4j.getExecutioner().exec(op);
            return op.z();
        } finally {
            Reference.reachabilityFence(op);
        }
    }

    // ------------------------------------------------------------------ shapes of gradients

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
