package io.github.rpo4j.tensor;

import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Finite-difference gradient checks for ops and models, in float64.
 *
 * <p>The function under test maps float64 parameters to a tensor of any shape; the check reduces it
 * to a scalar with fixed random weights (so every output element gets a distinct, non-trivial
 * seed gradient), differentiates once on the tape and compares each parameter element's
 * gradient with a central difference.
 */
public final class GradCheck {

    /** Differences smaller than this are float64 rounding in the finite difference, not a wrong gradient. */
    static final double ABSOLUTE_NOISE = 1e-8;

    private GradCheck() {
    }

    /** The worst disagreement found, for assertion messages. */
    public record Result(double maxRelativeError, double maxAbsoluteError, String where) {
        public boolean passes(double tolerance) {
            return maxRelativeError <= tolerance;
        }
    }

    /** Random float64 values in [-1, 1) of the given shape. */
    public static INDArray randomDouble(Random random, long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        double[] v = new double[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = random.nextDouble() * 2 - 1;
        }
        return Nd4j.create(v, shape, 'c');
    }

    /**
     * Checks the gradient of {@code f} with respect to every element of every parameter.
     *
     * @param params float64 parameters; their values are perturbed and restored in place
     * @param maxElementsPerParam check at most this many (randomly chosen) elements of each parameter
     */
    public static Result check(Function<List<Tensor>, Tensor> f, List<Tensor> params, long seed, int maxElementsPerParam) {
        for (Tensor p : params) {
            if (p.dataType() != DataType.DOUBLE) {
                throw new IllegalArgumentException("gradient checks need float64 parameters; got " + p.dataType());
            }
            p.zeroGrad();
        }
        Random random = new Random(seed);
        Tensor out = f.apply(params);
        INDArray weights = randomDouble(random, out.shape());
        Tensor loss = out.mul(Tensor.constant(weights)).sum();
        loss.backward();

        double maxRel = 0;
        double maxAbs = 0;
        String where = "";
        double eps = 1e-6;
        for (int pi = 0; pi < params.size(); pi++) {
            Tensor p = params.get(pi);
            INDArray value = p.value();
            INDArray grad = p.grad() == null ? Nd4j.zeros(DataType.DOUBLE, p.shape()) : p.grad();
            INDArray flatValue = value.reshape(value.length());
            INDArray flatGrad = grad.dup('c').reshape(grad.length());
            long n = value.length();
            int checks = (int) Math.min(n, maxElementsPerParam);
            for (int c = 0; c < checks; c++) {
                long i = checks == n ? c : (long) (random.nextDouble() * n);
                double original = flatValue.getDouble(i);
                flatValue.putScalar(i, original + eps);
                double plus = scalarLoss(f, params, weights);
                flatValue.putScalar(i, original - eps);
                double minus = scalarLoss(f, params, weights);
                flatValue.putScalar(i, original);
                double numeric = (plus - minus) / (2 * eps);
                double analytic = flatGrad.getDouble(i);
                double abs = Math.abs(numeric - analytic);
                // Below ABSOLUTE_NOISE the central difference itself is rounding noise (exact zeros look like 1e-10).
                double rel = abs <= ABSOLUTE_NOISE ? 0 : abs / (Math.abs(numeric) + Math.abs(analytic));
                if (rel > maxRel) {
                    maxRel = rel;
                    where = "param " + pi + (p.name() == null ? "" : " (" + p.name() + ")") + " element " + i
                            + ": analytic " + analytic + " numeric " + numeric;
                }
                maxAbs = Math.max(maxAbs, abs);
            }
        }
        return new Result(maxRel, maxAbs, where);
    }

    private static double scalarLoss(Function<List<Tensor>, Tensor> f, List<Tensor> params, INDArray weights) {
        try (Tape.Scope ignored = Tape.noGrad()) {
            return f.apply(params).value().mul(weights).sumNumber().doubleValue();
        }
    }
}
