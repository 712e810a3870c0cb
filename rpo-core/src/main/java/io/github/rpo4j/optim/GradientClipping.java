package io.github.rpo4j.optim;

import io.github.rpo4j.tensor.Tensor;
import java.util.Collection;
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
                for (double v : g.ravel().toDoubleVector()) {
                    sq += v * v;
                }
            }
        }
        return Math.sqrt(sq);
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
