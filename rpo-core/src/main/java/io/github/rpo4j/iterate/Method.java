package io.github.rpo4j.iterate;

/** What an iteration trains on, once samples are drawn and verified. */
public enum Method {
    /**
     * DPO + nllWeight * NLL on (winner, loser) pairs, reference M_t, init M_t (Pang et al. 2024). With nllWeight 0,
     * DPO only.
     */
    PREFERENCE,
    /**
     * NLL on the winners of the same (winner, loser) pairs RPO would train on, in the same order and number: RPO
     * without its DPO term (the paper's "SFT on chosen" ablation). Init M_t.
     */
    SFT_ON_CHOSEN,
    /** NLL on every distinct correct sample, init M_t (STaR-style SFT on correct samples). */
    SFT_ON_CORRECT,
    /** NLL on at most C correct samples per question, init the base model every iteration (ReST-EM, Singh et al. 2023). */
    REST_EM
}
