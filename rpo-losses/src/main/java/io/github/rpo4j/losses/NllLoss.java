package io.github.rpo4j.losses;

import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Negative log-likelihood (supervised fine-tuning) objectives over summed completion
 * log-probabilities, plain and reward-weighted.
 */
public final class NllLoss {

    private NllLoss() {
    }

    /**
     * The NLL of B completions.
     * <pre>
     *   PER_SEQUENCE_MEAN:  L = (1/B) Σ_i -logp_i / |y_i|,    dL/dlogp_i = -1 / (B |y_i|)
     *   BATCH_TOKEN_MEAN:   L = -Σ_i logp_i / Σ_i |y_i|,      dL/dlogp_i = -1 / Σ_j |y_j|
     * </pre>
     *
     * @param policyLogps summed completion log-probs {@code log π_θ(y_i | x_i)}, length B
     * @param lengths completion lengths {@code |y_i|}, each at least 1
     * @param normalization how to normalise
     * @return the loss, its gradient (single-sequence result) and metrics {@code nll},
     *         {@code logps/mean}, {@code loss}
     */
    public static ObjectiveResult nll(double[] policyLogps, int[] lengths, NllNormalization normalization) {
        return rewardWeightedNll(policyLogps, lengths, null, normalization);
    }

    /**
     * INDArray variant of {@link #nll(double[], int[], NllNormalization)}.
     *
     * @param policyLogps (B)
     * @param lengths completion lengths
     * @param normalization how to normalise
     * @return as {@link #nll(double[], int[], NllNormalization)}
     */
    public static ObjectiveResult nll(INDArray policyLogps, int[] lengths, NllNormalization normalization) {
        return nll(Checks.toDoubles(policyLogps, "policyLogps"), lengths, normalization);
    }

    /**
     * Reward-weighted NLL, self-normalised by the sum of the weights so that the loss does not
     * depend on the weights' overall scale (which for {@code exp(r/τ)} weights is arbitrary):
     * <pre>
     *   PER_SEQUENCE_MEAN:  L = Σ_i w_i (-logp_i / |y_i|) / Σ_i w_i,  dL/dlogp_i = -w_i / (|y_i| Σ_j w_j)
     *   BATCH_TOKEN_MEAN:   L = Σ_i w_i (-logp_i) / Σ_i w_i |y_i|,    dL/dlogp_i = -w_i / Σ_j w_j |y_j|
     * </pre>
     * With all weights equal this reduces to {@link #nll}. Weights are constants (no gradient).
     *
     * @param policyLogps summed completion log-probs, length B
     * @param lengths completion lengths, each at least 1
     * @param weights non-negative finite weights with a positive sum, length B; {@code null} means all 1
     * @param normalization how to normalise
     * @return the loss, its gradient and metrics {@code nll} (the unweighted NLL with the same
     *         normalisation), {@code weighted_nll}, {@code logps/mean}, {@code weights/mean},
     *         {@code loss}
     */
    public static ObjectiveResult rewardWeightedNll(double[] policyLogps, int[] lengths, double[] weights,
                                                    NllNormalization normalization) {
        Checks.requireNonEmpty(policyLogps, "policyLogps");
        int b = policyLogps.length;
        Checks.requireSameLength(lengths, "lengths", b, "policyLogps");
        Checks.requireFinite(policyLogps, "policyLogps");
        Checks.requirePositiveLengths(lengths, "lengths");
        Checks.requireNonNull(normalization, "normalization");
        double[] w = weights;
        if (w == null) {
            w = new double[b];
            java.util.Arrays.fill(w, 1.0);
        } else {
            Checks.requireSameLength(w, "weights", b, "policyLogps");
            double sum = 0;
            for (int i = 0; i < b; i++) {
                if (!(w[i] >= 0) || !Double.isFinite(w[i])) {
                    throw new IllegalArgumentException("weights[" + i + "] is " + w[i]
                            + "; weights must be non-negative and finite");
                }
                sum += w[i];
            }
            if (!(sum > 0)) {
                throw new IllegalArgumentException("weights sum to 0; at least one weight must be positive");
            }
        }

        double weightedNumerator = 0;
        double denominator = 0;
        double plainNumerator = 0;
        double plainDenominator = 0;
        for (int i = 0; i < b; i++) {
            double perSequence = normalization == NllNormalization.PER_SEQUENCE_MEAN
                    ? -policyLogps[i] / lengths[i] : -policyLogps[i];
            double unit = normalization == NllNormalization.PER_SEQUENCE_MEAN ? 1.0 : lengths[i];
            weightedNumerator += w[i] * perSequence;
            denominator += w[i] * unit;
            plainNumerator += perSequence;
            plainDenominator += unit;
        }
        double loss = weightedNumerator / denominator;
        double[] grad = new double[b];
        for (int i = 0; i < b; i++) {
            double perUnit = normalization == NllNormalization.PER_SEQUENCE_MEAN ? 1.0 / lengths[i] : 1.0;
            grad[i] = -w[i] * perUnit / denominator;
        }

        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("nll", plainNumerator / plainDenominator);
        if (weights != null) {
            metrics.put("weighted_nll", loss);
            metrics.put("weights/mean", Checks.mean(w));
        }
        metrics.put("logps/mean", Checks.mean(policyLogps));
        metrics.put("loss", loss);
        return ObjectiveResult.single(loss, grad, metrics);
    }

    /**
     * Exponentiated-reward weights {@code w_i = exp((r_i - max_j r_j) / τ)}, as used by
     * reward-weighted regression and RISE. Subtracting the maximum avoids overflow and, because
     * {@link #rewardWeightedNll} divides by the weights' sum, does not change the loss.
     *
     * @param rewards finite rewards, length B
     * @param temperature τ &gt; 0
     * @return weights in (0, 1], the largest equal to 1
     */
    public static double[] exponentialWeights(double[] rewards, double temperature) {
        Checks.requireNonEmpty(rewards, "rewards");
        Checks.requireFinite(rewards, "rewards");
        Checks.requirePositiveFinite(temperature, "temperature");
        double max = Double.NEGATIVE_INFINITY;
        for (double r : rewards) {
            max = Math.max(max, r);
        }
        double[] w = new double[rewards.length];
        for (int i = 0; i < rewards.length; i++) {
            w[i] = Math.exp((rewards[i] - max) / temperature);
        }
        return w;
    }
}
