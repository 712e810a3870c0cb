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
     * Reward-weighted NLL in the {@link NllWeighting#UNNORMALISED} form of RISE: the weights multiply
     * each sequence's NLL, the normaliser is the plain one.
     *
     * @see #rewardWeightedNll(double[], int[], double[], NllNormalization, NllWeighting)
     */
    public static ObjectiveResult rewardWeightedNll(double[] policyLogps, int[] lengths, double[] weights,
                                                    NllNormalization normalization) {
        return rewardWeightedNll(policyLogps, lengths, weights, normalization, NllWeighting.UNNORMALISED);
    }

    /**
     * Reward-weighted NLL. With {@code ℓ_i} the sequence's NLL under {@code normalization}:
     * <pre>
     *   UNNORMALISED,    PER_SEQUENCE_MEAN:  L = Σ_i w_i (-logp_i / |y_i|) / B,     dL/dlogp_i = -w_i / (B |y_i|)
     *   UNNORMALISED,    BATCH_TOKEN_MEAN:   L = Σ_i w_i (-logp_i) / Σ_i |y_i|,     dL/dlogp_i = -w_i / Σ_j |y_j|
     *   SELF_NORMALISED, PER_SEQUENCE_MEAN:  L = Σ_i w_i (-logp_i / |y_i|) / Σ_i w_i, dL/dlogp_i = -w_i / (|y_i| Σ_j w_j)
     *   SELF_NORMALISED, BATCH_TOKEN_MEAN:   L = Σ_i w_i (-logp_i) / Σ_i w_i |y_i|,   dL/dlogp_i = -w_i / Σ_j w_j |y_j|
     * </pre>
     * With all weights 1 every form reduces to {@link #nll}. Weights are constants (no gradient).
     *
     * @param policyLogps summed completion log-probs, length B
     * @param lengths completion lengths, each at least 1
     * @param weights non-negative finite weights, length B (with {@code SELF_NORMALISED}, with a positive
     *                sum); {@code null} means all 1
     * @param normalization how to normalise over sequences and tokens
     * @param weighting whether the weights also enter the normaliser
     * @return the loss, its gradient and metrics {@code nll} (the unweighted NLL with the same
     *         normalisation), {@code weighted_nll}, {@code logps/mean}, {@code weights/mean},
     *         {@code loss}
     */
    public static ObjectiveResult rewardWeightedNll(double[] policyLogps, int[] lengths, double[] weights,
                                                    NllNormalization normalization, NllWeighting weighting) {
        Checks.requireNonEmpty(policyLogps, "policyLogps");
        int b = policyLogps.length;
        Checks.requireSameLength(lengths, "lengths", b, "policyLogps");
        Checks.requireFinite(policyLogps, "policyLogps");
        Checks.requirePositiveLengths(lengths, "lengths");
        Checks.requireNonNull(normalization, "normalization");
        Checks.requireNonNull(weighting, "weighting");
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
            if (weighting == NllWeighting.SELF_NORMALISED && !(sum > 0)) {
                throw new IllegalArgumentException("weights sum to 0; self-normalised weighting needs at least one "
                        + "positive weight");
            }
        }

        double weightedNumerator = 0;
        double weightedDenominator = 0;
        double plainNumerator = 0;
        double plainDenominator = 0;
        for (int i = 0; i < b; i++) {
            double perSequence = normalization == NllNormalization.PER_SEQUENCE_MEAN
                    ? -policyLogps[i] / lengths[i] : -policyLogps[i];
            double unit = normalization == NllNormalization.PER_SEQUENCE_MEAN ? 1.0 : lengths[i];
            weightedNumerator += w[i] * perSequence;
            weightedDenominator += w[i] * unit;
            plainNumerator += perSequence;
            plainDenominator += unit;
        }
        double denominator = weighting == NllWeighting.SELF_NORMALISED ? weightedDenominator : plainDenominator;
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
     * Exponentiated-reward weights {@code w_i = exp(r_i / τ)}, as reward-weighted regression and RISE (Qu et al.
     * 2024) write them: not shifted and not normalised, so under {@link NllWeighting#UNNORMALISED} a weight is the
     * same step-size factor for its sample in every batch (for 0/1 rewards and τ = 0.4: a correct sample weighs
     * e^2.5 = 12.18, a wrong one 1). Under {@link NllWeighting#SELF_NORMALISED} only the weights' ratios matter.
     *
     * @param rewards finite rewards, length B
     * @param temperature τ &gt; 0
     * @return the weights, length B
     * @throws IllegalArgumentException naming the reward and τ when a weight is not a finite double (r / τ above
     *                                  709.78); a smaller τ or rewards rescaled to a smaller range avoid it
     */
    public static double[] exponentialWeights(double[] rewards, double temperature) {
        Checks.requireNonEmpty(rewards, "rewards");
        Checks.requireFinite(rewards, "rewards");
        Checks.requirePositiveFinite(temperature, "temperature");
        double[] w = new double[rewards.length];
        for (int i = 0; i < rewards.length; i++) {
            w[i] = Math.exp(rewards[i] / temperature);
            if (!Double.isFinite(w[i])) {
                throw new IllegalArgumentException("rewards[" + i + "] = " + rewards[i] + " at temperature "
                        + temperature + " gives the weight exp(" + rewards[i] / temperature + "), which overflows a "
                        + "double; use a larger temperature or rewards of a smaller range");
            }
        }
        return w;
    }
}
