package io.github.rpo4j.optim;

import io.github.rpo4j.tensor.Tensor;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.Collection;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Clipping by the global L2 norm of all gradients, as torch.nn.utils.clip_grad_norm_. */
public final class GradientClipping {

    private GradientClipping() {
    }

    /**
     * The L2 norm of all gradients together, summed in double precision in Java. ND4J's whole-array
     * reductions split their work by its thread count, which only the OMP_NUM_THREADS environment
     * variable sets, so their last bits, and through the clipping the whole run, would depend on it.
     */
    public static double globalNorm(Collection<Tensor> params) {
        double sq = 0;
        for (Tensor p : params) {
            INDArray g = p.grad();
            if (g != null) {
                sq += sumOfSquares(g);
            }
        }
        return Math.sqrt(sq);
    }

    /**
     * Read in place through a buffer view of the native memory: as fast as ND4J's own norm, where
     * copying each gradient into a Java array first took three times as long.
     */
    private static double sumOfSquares(INDArray g) {
        INDArray flat = g.ravel(); // a view of g when g is row-major, as gradients are; else a copy
        int from = (int) flat.offset();
        int n = (int) flat.length();
        double sq = 0;
        if (flat.dataType() == DataType.FLOAT) {
            FloatBuffer values = flat.data().asNioFloat();
            for (int i = from; i < from + n; i++) {
                double v = values.get(i);
                sq += v * v;
            }
        } else if (flat.dataType() == DataType.DOUBLE) {
            DoubleBuffer values = flat.data().asNioDouble();
            for (int i = from; i < from + n; i++) {
                double v = values.get(i);
                sq += v * v;
            }
        } else {
            for (double v : flat.toDoubleVector()) {
                sq += v * v;
            }
        }
        return sq;
    }

    /**
     * Scales every gradient by min(1, maxNorm / norm) and returns the norm before clipping, so a
     * caller can log it and detect a non-finite gradient.
     */
    public static double clip(Collection<Tensor> params, double maxNorm) {
        double norm = globalNorm(params);
        if (maxNorm > 0 && norm > maxNorm && Double.isFinite(norm)) {
            double scale = maxNorm / (norm + 1e-6);
            for (Tensor p : params) {
                if (p.grad() != null) {
                    p.grad().muli(scale);
                }
            }
        }
        return norm;
    }
}
