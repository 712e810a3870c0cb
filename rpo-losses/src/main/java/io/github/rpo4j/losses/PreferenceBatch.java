package io.github.rpo4j.losses;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A batch of B preference pairs, as summed completion log-probabilities.
 *
 * <p>Each log-prob is {@code log π(y | x) = Σ_t log π(y_t | x, y_<t)} summed over the completion
 * tokens only (see {@link TokenLogProbs}). Lengths are completion token counts. The reference
 * arrays may be {@code null} only for objectives that do not use a reference model
 * ({@link PreferenceLossType#SIMPO}).
 *
 * <p>Arrays are copied on construction and on access, so a batch is immutable.
 *
 * @param policyChosenLogps {@code log π_θ(y_w | x)}, length B
 * @param policyRejectedLogps {@code log π_θ(y_l | x)}, length B
 * @param referenceChosenLogps {@code log π_ref(y_w | x)}, length B, or null
 * @param referenceRejectedLogps {@code log π_ref(y_l | x)}, length B, or null
 * @param chosenLengths {@code |y_w|}, each at least 1
 * @param rejectedLengths {@code |y_l|}, each at least 1
 */
public record PreferenceBatch(double[] policyChosenLogps, double[] policyRejectedLogps,
                              double[] referenceChosenLogps, double[] referenceRejectedLogps,
                              int[] chosenLengths, int[] rejectedLengths) {

    /** Validates lengths, finiteness and completion lengths, then copies every array. */
    public PreferenceBatch {
        Checks.requireNonEmpty(policyChosenLogps, "policyChosenLogps");
        int b = policyChosenLogps.length;
        Checks.requireSameLength(policyRejectedLogps, "policyRejectedLogps", b, "policyChosenLogps");
        if ((referenceChosenLogps == null) != (referenceRejectedLogps == null)) {
            throw new IllegalArgumentException("referenceChosenLogps and referenceRejectedLogps must both be given"
                    + " or both be null");
        }
        if (referenceChosenLogps != null) {
            Checks.requireSameLength(referenceChosenLogps, "referenceChosenLogps", b, "policyChosenLogps");
            Checks.requireSameLength(referenceRejectedLogps, "referenceRejectedLogps", b, "policyChosenLogps");
        }
        Checks.requireSameLength(chosenLengths, "chosenLengths", b, "policyChosenLogps");
        Checks.requireSameLength(rejectedLengths, "rejectedLengths", b, "policyChosenLogps");
        Checks.requireFinite(policyChosenLogps, "policyChosenLogps");
        Checks.requireFinite(policyRejectedLogps, "policyRejectedLogps");
        if (referenceChosenLogps != null) {
            Checks.requireFinite(referenceChosenLogps, "referenceChosenLogps");
            Checks.requireFinite(referenceRejectedLogps, "referenceRejectedLogps");
        }
        Checks.requirePositiveLengths(chosenLengths, "chosenLengths");
        Checks.requirePositiveLengths(rejectedLengths, "rejectedLengths");

        policyChosenLogps = policyChosenLogps.clone();
        policyRejectedLogps = policyRejectedLogps.clone();
        referenceChosenLogps = referenceChosenLogps == null ? null : referenceChosenLogps.clone();
        referenceRejectedLogps = referenceRejectedLogps == null ? null : referenceRejectedLogps.clone();
        chosenLengths = chosenLengths.clone();
        rejectedLengths = rejectedLengths.clone();
    }

    /**
     * A batch from INDArray vectors of length B (any floating type; converted to double).
     *
     * @param policyChosenLogps (B)
     * @param policyRejectedLogps (B)
     * @param referenceChosenLogps (B), or null
     * @param referenceRejectedLogps (B), or null
     * @param chosenLengths completion lengths of the chosen sequences
     * @param rejectedLengths completion lengths of the rejected sequences
     * @return the batch
     */
    public static PreferenceBatch of(INDArray policyChosenLogps, INDArray policyRejectedLogps,
                                     INDArray referenceChosenLogps, INDArray referenceRejectedLogps,
                                     int[] chosenLengths, int[] rejectedLengths) {
        return new PreferenceBatch(
                Checks.toDoubles(policyChosenLogps, "policyChosenLogps"),
                Checks.toDoubles(policyRejectedLogps, "policyRejectedLogps"),
                referenceChosenLogps == null ? null : Checks.toDoubles(referenceChosenLogps, "referenceChosenLogps"),
                referenceRejectedLogps == null ? null
                        : Checks.toDoubles(referenceRejectedLogps, "referenceRejectedLogps"),
                chosenLengths, rejectedLengths);
    }

    /**
     * A batch without reference log-probs, for reference-free objectives such as SimPO.
     *
     * @param policyChosenLogps length B
     * @param policyRejectedLogps length B
     * @param chosenLengths completion lengths of the chosen sequences
     * @param rejectedLengths completion lengths of the rejected sequences
     * @return the batch
     */
    public static PreferenceBatch withoutReference(double[] policyChosenLogps, double[] policyRejectedLogps,
                                                   int[] chosenLengths, int[] rejectedLengths) {
        return new PreferenceBatch(policyChosenLogps, policyRejectedLogps, null, null, chosenLengths,
                rejectedLengths);
    }

    /** @return the number of pairs B */
    public int size() {
        return policyChosenLogps.length;
    }

    /** @return whether reference log-probs are present */
    public boolean hasReference() {
        return referenceChosenLogps != null;
    }

    @Override
    public double[] policyChosenLogps() {
        return policyChosenLogps.clone();
    }

    @Override
    public double[] policyRejectedLogps() {
        return policyRejectedLogps.clone();
    }

    @Override
    public double[] referenceChosenLogps() {
        return referenceChosenLogps == null ? null : referenceChosenLogps.clone();
    }

    @Override
    public double[] referenceRejectedLogps() {
        return referenceRejectedLogps == null ? null : referenceRejectedLogps.clone();
    }

    @Override
    public int[] chosenLengths() {
        return chosenLengths.clone();
    }

    @Override
    public int[] rejectedLengths() {
        return rejectedLengths.clone();
    }
}
