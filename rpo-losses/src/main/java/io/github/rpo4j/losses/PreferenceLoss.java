package io.github.rpo4j.losses;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Pairwise preference objectives (DPO, conservative DPO, IPO, hinge, SimPO) with an optional
 * negative log-likelihood term on the chosen sequences (RPO).
 *
 * <p>The loss is a mean over the B pairs of the batch:
 * <pre>
 *   L = (1/B) Σ_i ℓ_type(pair_i) + nllWeight · NLL(chosen)
 * </pre>
 * where {@code NLL(chosen)} follows {@link #nllNormalization()}. With {@code type = SIGMOID},
 * {@code β = 0.1}, {@code nllWeight = 1} (the paper's α) and {@link NllNormalization#PER_SEQUENCE_MEAN} this is the
 * DPO+NLL objective of Iterative RPO (Pang et al. 2024, Eq. 1); see {@link #rpo()}.
 *
 * <p>Metrics, named as TRL logs them (batch means): {@code rewards/chosen},
 * {@code rewards/rejected}, {@code rewards/margins}, {@code rewards/accuracies},
 * {@code logps/chosen}, {@code logps/rejected}, {@code nll} and {@code loss}. A reward is
 * {@code β (log π_θ - log π_ref)}; for IPO the log-probs in it are per-token averages and for
 * SimPO it is {@code β log π_θ / |y|}, matching what TRL logs for those losses; likewise
 * {@code logps/*} are per-token averages for IPO and SimPO. {@code nll} is reported with the
 * configured normalisation even when {@code nllWeight = 0}.
 *
 * @param type the pairwise term
 * @param beta β &gt; 0, the inverse temperature of the implicit reward
 * @param labelSmoothing ε in [0, 0.5), the assumed probability that a preference label is flipped
 *                       (SIGMOID and SIMPO only)
 * @param simpoGamma γ, the target margin of SimPO (ignored by other types; must be 0 for them)
 * @param nllWeight ≥ 0, the weight of the NLL term on the chosen sequences (the RPO paper's α)
 * @param nllNormalization how the NLL term is normalised
 */
public record PreferenceLoss(PreferenceLossType type, double beta, double labelSmoothing, double simpoGamma,
                             double nllWeight, NllNormalization nllNormalization) {

    /** Default β of DPO and Iterative RPO. */
    public static final double DEFAULT_BETA = 0.1;
    /** Default NLL weight of Iterative RPO (the paper's α). */
    public static final double DEFAULT_NLL_WEIGHT = 1.0;

    /** Validates the hyper-parameters. */
    public PreferenceLoss {
        Checks.requireNonNull(type, "type");
        Checks.requireNonNull(nllNormalization, "nllNormalization");
        Checks.requirePositiveFinite(beta, "beta");
        if (!(labelSmoothing >= 0 && labelSmoothing < 0.5)) {
            throw new IllegalArgumentException("labelSmoothing must be in [0, 0.5), got " + labelSmoothing);
        }
        if (labelSmoothing != 0 && !type.supportsLabelSmoothing()) {
            throw new IllegalArgumentException("labelSmoothing is only defined for SIGMOID and SIMPO, not " + type);
        }
        Checks.requireFinite(simpoGamma, "simpoGamma");
        if (simpoGamma != 0 && type != PreferenceLossType.SIMPO) {
            throw new IllegalArgumentException("simpoGamma is only used by SIMPO; got " + simpoGamma + " for " + type);
        }
        Checks.requireNonNegativeFinite(nllWeight, "nllWeight");
    }

    /** @return sigmoid DPO with β = 0.1 and no NLL term */
    public static PreferenceLoss dpo() {
        return dpo(DEFAULT_BETA);
    }

    /**
     * @param beta β
     * @return sigmoid DPO, {@code -log σ(β h)}
     */
    public static PreferenceLoss dpo(double beta) {
        return new PreferenceLoss(PreferenceLossType.SIGMOID, beta, 0, 0, 0, NllNormalization.PER_SEQUENCE_MEAN);
    }

    /**
     * Conservative DPO (label smoothing), TRL's {@code sigmoid} loss with {@code label_smoothing}.
     *
     * @param beta β
     * @param labelSmoothing ε in [0, 0.5)
     * @return {@code -(1-ε) log σ(β h) - ε log σ(-β h)}
     */
    public static PreferenceLoss conservativeDpo(double beta, double labelSmoothing) {
        return new PreferenceLoss(PreferenceLossType.SIGMOID, beta, labelSmoothing, 0, 0,
                NllNormalization.PER_SEQUENCE_MEAN);
    }

    /**
     * @param beta β (IPO's τ)
     * @return IPO on per-token-average log-probs, {@code (h - 1/(2β))²}
     */
    public static PreferenceLoss ipo(double beta) {
        return new PreferenceLoss(PreferenceLossType.IPO, beta, 0, 0, 0, NllNormalization.PER_SEQUENCE_MEAN);
    }

    /**
     * @param beta β
     * @return the hinge loss {@code max(0, 1 - β h)}
     */
    public static PreferenceLoss hinge(double beta) {
        return new PreferenceLoss(PreferenceLossType.HINGE, beta, 0, 0, 0, NllNormalization.PER_SEQUENCE_MEAN);
    }

    /**
     * SimPO. Meng et al. 2024 use β around 2 to 2.5 and γ with γ/β around 0.5.
     *
     * @param beta β
     * @param gamma γ, the target reward margin
     * @return {@code -log σ(β (log π_θ(y_w)/|y_w| - log π_θ(y_l)/|y_l|) - γ)}
     */
    public static PreferenceLoss simpo(double beta, double gamma) {
        return new PreferenceLoss(PreferenceLossType.SIMPO, beta, 0, gamma, 0, NllNormalization.PER_SEQUENCE_MEAN);
    }

    /** @return the Iterative RPO objective with the paper's defaults: β = 0.1, NLL weight 1, per-sequence NLL mean */
    public static PreferenceLoss rpo() {
        return rpo(DEFAULT_BETA, DEFAULT_NLL_WEIGHT, NllNormalization.PER_SEQUENCE_MEAN);
    }

    /**
     * @param beta β of the DPO term
     * @param nllWeight the weight of the NLL term (the paper's α)
     * @param normalization {@link NllNormalization#PER_SEQUENCE_MEAN} (paper) or
     *                      {@link NllNormalization#BATCH_TOKEN_MEAN} (TRL {@code rpo_alpha})
     * @return sigmoid DPO + nllWeight · NLL(chosen)
     */
    public static PreferenceLoss rpo(double beta, double nllWeight, NllNormalization normalization) {
        return new PreferenceLoss(PreferenceLossType.SIGMOID, beta, 0, 0, nllWeight, normalization);
    }

    /**
     * @param nllWeight ≥ 0
     * @param normalization the NLL normalisation
     * @return this objective with an NLL term of weight nllWeight on the chosen sequences
     */
    public PreferenceLoss withNll(double nllWeight, NllNormalization normalization) {
        return new PreferenceLoss(type, beta, labelSmoothing, simpoGamma, nllWeight, normalization);
    }

    /**
     * Evaluates the objective and its exact gradient with respect to the policy's summed
     * log-probs of the chosen and rejected completions.
     *
     * @param batch B preference pairs
     * @return the batch-mean loss, {@code dL/d log π_θ(y_w)} and {@code dL/d log π_θ(y_l)} (each
     *         length B) and the metrics
     * @throws IllegalArgumentException if the type needs reference log-probs and the batch has none
     */
    public ObjectiveResult compute(PreferenceBatch batch) {
        Checks.requireNonNull(batch, "batch");
        if (type.usesReference() && !batch.hasReference()) {
            throw new IllegalArgumentException(type + " needs referenceChosenLogps and referenceRejectedLogps");
        }
        int b = batch.size();
        double[] pc = batch.policyChosenLogps();
        double[] pr = batch.policyRejectedLogps();
        double[] rc = batch.referenceChosenLogps();
        double[] rr = batch.referenceRejectedLogps();
        int[] lc = batch.chosenLengths();
        int[] lr = batch.rejectedLengths();

        double[] gradChosen = new double[b];
        double[] gradRejected = new double[b];
        double lossSum = 0;
        double chosenRewardSum = 0;
        double rejectedRewardSum = 0;
        double accuracySum = 0;
        double chosenLogpSum = 0;
        double rejectedLogpSum = 0;

        for (int i = 0; i < b; i++) {
            // IPO and SimPO work on per-token averages; the chain rule then carries 1/|y| into the gradient.
            double scaleChosen = type.lengthNormalised() ? 1.0 / lc[i] : 1.0;
            double scaleRejected = type.lengthNormalised() ? 1.0 / lr[i] : 1.0;
            double policyChosen = pc[i] * scaleChosen;
            double policyRejected = pr[i] * scaleRejected;
            double refChosen = type.usesReference() ? rc[i] * scaleChosen : 0.0;
            double refRejected = type.usesReference() ? rr[i] * scaleRejected : 0.0;
            double chosenLogRatio = policyChosen - refChosen;
            double rejectedLogRatio = policyRejected - refRejected;
            double h = chosenLogRatio - rejectedLogRatio;

            double loss;
            double dLossDh; // d ℓ_i / d h (for SimPO h is the policy-only margin)
            switch (type) {
                case SIGMOID, SIMPO -> {
                    double z = beta * h - (type == PreferenceLossType.SIMPO ? simpoGamma : 0.0);
                    // ℓ = -(1-ε) log σ(z) - ε log σ(-z);  dℓ/dz = -(1-ε) σ(-z) + ε σ(z)
                    loss = -(1 - labelSmoothing) * StableMath.logSigmoid(z)
                            - labelSmoothing * StableMath.logSigmoid(-z);
                    double dLossDz = -(1 - labelSmoothing) * StableMath.sigmoid(-z)
                            + labelSmoothing * StableMath.sigmoid(z);
                    dLossDh = beta * dLossDz;
                }
                case IPO -> {
                    double residual = h - 1.0 / (2.0 * beta);
                    loss = residual * residual;
                    dLossDh = 2.0 * residual;
                }
                case HINGE -> {
                    double slack = 1.0 - beta * h;
                    loss = Math.max(0.0, slack);
                    // Sub-gradient 0 at the kink, as torch.relu.
                    dLossDh = slack > 0 ? -beta : 0.0;
                }
                default -> throw new IllegalStateException("unhandled type " + type);
            }
            lossSum += loss;
            gradChosen[i] = dLossDh * scaleChosen / b;
            gradRejected[i] = -dLossDh * scaleRejected / b;

            double chosenReward = beta * (type.usesReference() ? chosenLogRatio : policyChosen);
            double rejectedReward = beta * (type.usesReference() ? rejectedLogRatio : policyRejected);
            chosenRewardSum += chosenReward;
            rejectedRewardSum += rejectedReward;
            accuracySum += chosenReward > rejectedReward ? 1.0 : 0.0;
            chosenLogpSum += policyChosen;
            rejectedLogpSum += policyRejected;
        }
        double preferenceLoss = lossSum / b;

        ObjectiveResult nll = NllLoss.nll(pc, lc, nllNormalization);
        double total = preferenceLoss;
        if (nllWeight != 0) {
            total += nllWeight * nll.value();
            double[] nllGrad = nll.gradient();
            for (int i = 0; i < b; i++) {
                gradChosen[i] += nllWeight * nllGrad[i];
            }
        }

        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("rewards/chosen", chosenRewardSum / b);
        metrics.put("rewards/rejected", rejectedRewardSum / b);
        metrics.put("rewards/margins", (chosenRewardSum - rejectedRewardSum) / b);
        metrics.put("rewards/accuracies", accuracySum / b);
        metrics.put("logps/chosen", chosenLogpSum / b);
        metrics.put("logps/rejected", rejectedLogpSum / b);
        metrics.put("nll", nll.value());
        metrics.put("loss", total);
        return new ObjectiveResult(total, gradChosen, gradRejected, metrics);
    }
}
