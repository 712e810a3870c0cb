package io.github.rpo4j.losses;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.function.ToDoubleFunction;

/** Central finite differences for checking analytic gradients in double precision. */
final class GradientCheck {

    private GradientCheck() {
    }

    /** {@code (f(x + ε e_i) - f(x - ε e_i)) / 2ε} for every coordinate i. */
    static double[] centralDifference(ToDoubleFunction<double[]> f, double[] x, double eps) {
        double[] grad = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double[] plus = x.clone();
            double[] minus = x.clone();
            plus[i] += eps;
            minus[i] -= eps;
            grad[i] = (f.applyAsDouble(plus) - f.applyAsDouble(minus)) / (2 * eps);
        }
        return grad;
    }

    /** Asserts |a - e| ≤ atol + rtol·|e| element-wise, naming the first index that fails. */
    static void assertClose(double[] expected, double[] actual, double rtol, double atol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            double tol = atol + rtol * Math.abs(expected[i]);
            assertEquals(expected[i], actual[i], tol, what + "[" + i + "]");
        }
    }
}
