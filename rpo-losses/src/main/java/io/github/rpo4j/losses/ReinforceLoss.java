package io.github.rpo4j.losses;

import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Sequence-level REINFORCE with a KL penalty to a reference policy and an optional SCoRe
 * progress bonus (Kumar et al. 2024, "Training Language Models to Self-Correct via
 * Reinforcement Learning").
 *
 * <p>For B sampled completions with summed log-probs {@code logπ_i} (policy) and
 * {@code logρ_i} (reference) and rewards {@code r_i}:
 * <pre>
 *   shaped reward   r̂_i = r_i + α_SCoRe (r_i - r1_i)     (only when first-attempt rewards r1 are given)
 *   KL estimate     k_i = logπ_i - logρ_i                  (single-sample estimate of KL(π || ρ))
 *   baseline        b   = (1/B) Σ_j r̂_j                   (when enabled, else 0; a constant)
 *
 *   KlMode.LOSS_TERM:       L = -(1/B) Σ_i (r̂_i - b) logπ_i + β_KL (1/B) Σ_i k_i
 *                           dL/dlogπ_i = (-(r̂_i - b) + β_KL) / B
 *   KlMode.REWARD_PENALTY:  r̃_i = r̂_i - β_KL k_i (a constant), b = mean(r̃) when enabled,
 *                           L = -(1/B) Σ_i (r̃_i - b) logπ_i,     dL/dlogπ_i = -(r̃_i - b) / B
 * </pre>
 * In {@code LOSS_TERM} mode the KL term's gradient with respect to each sequence log-prob is
 * exactly {@code β_KL / B}; since {@code E_π[∇ logπ] = 0}, on on-policy samples that term only
 * adds zero-mean noise to the parameter gradient, so it does not by itself pull π towards ρ.
 * {@code REWARD_PENALTY} folds the estimate into the reward (as PPO-style RLHF does), which does.
 */
public record ReinforceLoss(double klCoefficient, boolean useBaseline, double scoreBonusAlpha, KlMode klMode) {

    /** Where the KL estimate enters the objective. */
    public enum KlMode {
        /** {@code + β_KL · mean(logπ - logρ)} added to the loss, differentiated (gradient β_KL / B). */
        LOSS_TERM,
        /** {@code - β_KL · (logπ - logρ)} subtracted from each reward, treated as a constant. */
        REWARD_PENALTY
    }

    /** Validates the hyper-parameters. */
    public ReinforceLoss {
        Checks.requireNonNegativeFinite(klCoefficient, "klCoefficient");
        Checks.requireNonNegativeFinite(scoreBonusAlpha, "scoreBonusAlpha");
        Checks.requireNonNull(klMode, "klMode");
    }

    /**
     * @param klCoefficient β_KL ≥ 0
     * @return REINFORCE with the batch-mean baseline, the KL estimate in the loss and no SCoRe bonus
     */
    public static ReinforceLoss withKl(double klCoefficient) {
        return new ReinforceLoss(klCoefficient, true, 0.0, KlMode.LOSS_TERM);
    }

    /**
     * REINFORCE for single attempts.
     *
     * @param policyLogps {@code logπ_i}, length B
     * @param referenceLogps {@code logρ_i}, length B
     * @param rewards {@code r_i}, length B
     * @param lengths completion lengths, each at least 1 (validated; reported as a metric)
     * @return the loss, {@code dL/dlogπ_i} and metrics
     */
    public ObjectiveResult compute(double[] policyLogps, double[] referenceLogps, double[] rewards, int[] lengths) {
        return compute(policyLogps, referenceLogps, rewards, null, lengths);
    }

    /**
     * INDArray variant of {@link #compute(double[], double[], double[], double[], int[])}.
     *
     * @param policyLogps (B)
     * @param referenceLogps (B)
     * @param rewards (B)
     * @param firstAttemptRewards (B), or null to disable shaping
     * @param lengths completion lengths, each at least 1
     * @return as the double[] variant
     */
    public ObjectiveResult compute(INDArray policyLogps, INDArray referenceLogps, INDArray rewards,
                                   INDArray firstAttemptRewards, int[] lengths) {
        return compute(Checks.toDoubles(policyLogps, "policyLogps"), Checks.toDoubles(referenceLogps, "referenceLogps"),
                Checks.toDoubles(rewards, "rewards"),
                firstAttemptRewards == null ? null : Checks.toDoubles(firstAttemptRewards, "firstAttemptRewards"),
                lengths);
    }

    /**
     * REINFORCE, with the SCoRe bonus when {@code firstAttemptRewards} is given: {@code rewards}
     * are then the second attempts' rewards and the bonus {@code α (r2 - r1)} rewards progress.
     *
     * @param policyLogps {@code logπ_i} of the (second-attempt) completions, length B
     * @param referenceLogps {@code logρ_i}, length B
     * @param rewards {@code r_i} (or {@code r2_i}), length B
     * @param firstAttemptRewards {@code r1_i}, length B, or null to disable shaping
     * @param lengths completion lengths, each at least 1
     * @return the loss, {@code dL/dlogπ_i} and metrics {@code loss}, {@code pg_loss}, {@code kl},
     *         {@code rewards/mean} (shaped), {@code rewards/baseline}, {@code logps/mean},
     *         {@code completion_length/mean} and, with shaping, {@code rewards/first_attempt}
     */
    public ObjectiveResult compute(double[] policyLogps, double[] referenceLogps, double[] rewards,
                                   double[] firstAttemptRewards, int[] lengths) {
        Checks.requireNonEmpty(policyLogps, "policyLogps");
        int b = policyLogps.length;
        Checks.requireSameLength(referenceLogps, "referenceLogps", b, "policyLogps");
        Checks.requireSameLength(rewards, "rewards", b, "policyLogps");
        Checks.requireSameLength(lengths, "lengths", b, "policyLogps");
        Checks.requireFinite(policyLogps, "policyLogps");
        Checks.requireFinite(referenceLogps, "referenceLogps");
        Checks.requireFinite(rewards, "rewards");
        Checks.requirePositiveLengths(lengths, "lengths");
        if (firstAttemptRewards != null) {
            Checks.requireSameLength(firstAttemptRewards, "firstAttemptRewards", b, "policyLogps");
            Checks.requireFinite(firstAttemptRewards, "firstAttemptRewards");
        }

        double[] kl = new double[b];
        double[] shaped = new double[b];
        for (int i = 0; i < b; i++) {
            kl[i] = policyLogps[i] - referenceLogps[i];
            shaped[i] = firstAttemptRewards == null ? rewards[i]
                    : rewards[i] + scoreBonusAlpha * (rewards[i] - firstAttemptRewards[i]);
        }
        double[] effectiveReward = shaped.clone();
        if (klMode == KlMode.REWARD_PENALTY) {
            for (int i = 0; i < b; i++) {
                effectiveReward[i] -= klCoefficient * kl[i];
            }
        }
        double baseline = useBaseline ? Checks.mean(effectiveReward) : 0.0;

        double pgSum = 0;
        double[] grad = new double[b];
        for (int i = 0; i < b; i++) {
            double advantage = effectiveReward[i] - baseline;
            pgSum += -advantage * policyLogps[i];
            grad[i] = -advantage / b;
        }
        double pgLoss = pgSum / b;
        double meanKl = Checks.mean(kl);
        double loss = pgLoss;
        if (klMode == KlMode.LOSS_TERM) {
            loss += klCoefficient * meanKl;
            for (int i = 0; i < b; i++) {
                grad[i] += klCoefficient / b;
            }
        }

        double lengthSum = 0;
        for (int len : lengths) {
            lengthSum += len;
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("loss", loss);
        metrics.put("pg_loss", pgLoss);
        metrics.put("kl", meanKl);
        metrics.put("rewards/mean", Checks.mean(shaped));
        if (firstAttemptRewards != null) {
            metrics.put("rewards/first_attempt", Checks.mean(firstAttemptRewards));
        }
        metrics.put("rewards/baseline", baseline);
        metrics.put("logps/mean", Checks.mean(policyLogps));
        metrics.put("completion_length/mean", lengthSum / b);
        return ObjectiveResult.single(loss, grad, metrics);
    }
}
