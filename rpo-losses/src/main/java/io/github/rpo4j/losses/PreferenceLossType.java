package io.github.rpo4j.losses;

/**
 * The pairwise term of a {@link PreferenceLoss}. With the implicit-reward margin
 * {@code h = (log π_θ(y_w) - log π_ref(y_w)) - (log π_θ(y_l) - log π_ref(y_l))}:
 */
public enum PreferenceLossType {

    /**
     * DPO (Rafailov et al. 2023): {@code -log σ(β h)}; with label smoothing ε (conservative DPO)
     * {@code -(1-ε) log σ(β h) - ε log σ(-β h)}.
     */
    SIGMOID,

    /**
     * IPO (Azar et al. 2023): {@code (h - 1/(2β))²}, where, as in TRL, all four log-probs are
     * first divided by their completion length (per-token averages).
     */
    IPO,

    /** Hinge (SLiC-style, as TRL's {@code "hinge"}): {@code max(0, 1 - β h)}. */
    HINGE,

    /**
     * SimPO (Meng et al. 2024), reference-free and length-normalised:
     * {@code -log σ(β (log π_θ(y_w)/|y_w| - log π_θ(y_l)/|y_l|) - γ)}; label smoothing applies as
     * for {@link #SIGMOID}.
     */
    SIMPO;

    /** @return whether the objective uses the reference model's log-probs */
    public boolean usesReference() {
        return this != SIMPO;
    }

    /** @return whether the policy (and reference) log-probs are divided by completion length first */
    public boolean lengthNormalised() {
        return this == IPO || this == SIMPO;
    }

    /** @return whether label smoothing is defined for this type */
    public boolean supportsLabelSmoothing() {
        return this == SIGMOID || this == SIMPO;
    }
}
