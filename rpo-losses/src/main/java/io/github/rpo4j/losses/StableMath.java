package io.github.rpo4j.losses;

/**
 * Scalar functions that stay finite for arguments of any magnitude.
 *
 * <p>The preference objectives evaluate {@code log σ(x)} at margins that can reach hundreds in
 * magnitude; the naive {@code Math.log(1 / (1 + Math.exp(-x)))} overflows to {@code -Infinity} at
 * {@code x = -1000}. Everything here is written so that no intermediate overflows.
 */
public final class StableMath {

    private StableMath() {
    }

    /**
     * {@code softplus(x) = log(1 + e^x)}, computed as {@code max(x, 0) + log1p(e^{-|x|})} so that
     * the exponent is never positive.
     *
     * @param x any finite value
     * @return {@code log(1 + e^x)}, finite for finite {@code x}
     */
    public static double softplus(double x) {
        return Math.max(x, 0.0) + Math.log1p(Math.exp(-Math.abs(x)));
    }

    /**
     * {@code log σ(x) = -softplus(-x)}.
     *
     * @param x any finite value
     * @return the log of the logistic sigmoid at {@code x}
     */
    public static double logSigmoid(double x) {
        return -softplus(-x);
    }

    /**
     * The logistic sigmoid {@code σ(x) = 1 / (1 + e^{-x})}, evaluated on the branch whose
     * exponential cannot overflow.
     *
     * @param x any finite value
     * @return {@code σ(x)} in {@code [0, 1]}
     */
    public static double sigmoid(double x) {
        if (x >= 0) {
            return 1.0 / (1.0 + Math.exp(-x));
        }
        double e = Math.exp(x);
        return e / (1.0 + e);
    }
}
