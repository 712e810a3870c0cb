package io.github.rpo4j.losses;

/**
 * How per-sequence weights (for RISE, {@code w_i = exp(r_i / τ)}) enter a reward-weighted NLL.
 *
 * <p>With completions of 2 and 8 tokens, summed log-probs -2 and -4, weights 3 and 1 and
 * {@link NllNormalization#PER_SEQUENCE_MEAN}: {@link #UNNORMALISED} gives
 * {@code (3·1 + 1·0.5) / 2 = 1.75}, {@link #SELF_NORMALISED} gives {@code (3·1 + 1·0.5) / 4 = 0.875}.
 */
public enum NllWeighting {

    /**
     * The weights multiply each sequence's NLL and the normaliser is the plain one (the number of
     * sequences, or of completion tokens): {@code Σ_i w_i ℓ_i / B}. This is reward-weighted regression
     * as RISE (Qu et al. 2024) writes it: a batch whose samples all carry large weights takes a larger
     * step, and a weight's scale acts as a learning-rate factor that stays the same from batch to batch.
     */
    UNNORMALISED,

    /**
     * The weights are also in the normaliser, {@code Σ_i w_i ℓ_i / Σ_i w_i}, so the loss does not depend
     * on the weights' overall scale; but the scale then changes from batch to batch with the batch's
     * mix of weights, which acts like a learning rate that varies per batch.
     */
    SELF_NORMALISED
}
