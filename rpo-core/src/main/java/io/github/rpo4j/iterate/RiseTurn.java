package io.github.rpo4j.iterate;

import java.util.List;

/**
 * One turn of a RISE data-collection episode, as written to iter-k/samples.jsonl.
 *
 * @param questionId       the question
 * @param turn             1-based turn number
 * @param prompt           the conversation so far (question, earlier attempts, feedback)
 * @param candidates       the best-of-n candidates for this turn (from the learner or the teacher)
 * @param candidateCorrect whether each candidate was correct
 * @param best             index of the highest-reward candidate (the first one on ties)
 * @param onPolicy         the learner's own attempt, which continues the episode when it is wrong
 * @param onPolicyCorrect  whether that attempt was correct (the episode ends when it is)
 * @param improved         whether the best candidate's reward beats the attempt it follows (the
 *                         previous turn's on-policy attempt; 0 before the first turn)
 */
public record RiseTurn(String questionId, int turn, String prompt, List<String> candidates,
                       List<Boolean> candidateCorrect, int best, String onPolicy, boolean onPolicyCorrect,
                       boolean improved) {

    public RiseTurn {
        candidates = List.copyOf(candidates);
        candidateCorrect = List.copyOf(candidateCorrect);
    }

    /** Reward of a candidate: 1 when correct, else 0. */
    static double reward(boolean correct) {
        return correct ? 1.0 : 0.0;
    }
}
