package io.github.rpo4j.losses;

/**
 * How a negative log-likelihood over several completions is normalised.
 *
 * <p>The two choices weigh sequences of different lengths differently. With completions of 2 and
 * 8 tokens whose summed log-probs are -2 and -4: {@link #PER_SEQUENCE_MEAN} gives
 * {@code ((2/2) + (4/8)) / 2 = 0.75}, each sequence counting equally; {@link #BATCH_TOKEN_MEAN}
 * gives {@code (2 + 4) / (2 + 8) = 0.6}, each token counting equally, so the long sequence carries
 * four times the weight of the short one.
 */
public enum NllNormalization {

    /**
     * Each sequence's NLL is divided by its own completion length, then the batch is averaged:
     * {@code (1/B) Σ_i -logp_i / |y_i|}. This is the form of Pang et al. 2024 (Iterative RPO),
     * Eq. 1.
     */
    PER_SEQUENCE_MEAN,

    /**
     * One mean over every completion token of the batch: {@code -Σ_i logp_i / Σ_i |y_i|}. This is
     * what TRL's {@code rpo_alpha} computes (a token-level cross-entropy over all chosen tokens).
     */
    BATCH_TOKEN_MEAN
}
