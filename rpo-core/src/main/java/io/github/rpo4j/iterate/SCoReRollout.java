package io.github.rpo4j.iterate;

/**
 * One two-attempt rollout of SCoRe's data collection, as written to iter-k/samples.jsonl.
 *
 * @param questionId    the question
 * @param firstPrompt   the question's prompt
 * @param first         the first attempt
 * @param firstCorrect  its verdict (r1 = 1 when correct, else 0)
 * @param secondPrompt  the first prompt, the first attempt and the self-correction instruction
 * @param second        the second attempt
 * @param secondCorrect its verdict (r2)
 */
public record SCoReRollout(String questionId, String firstPrompt, String first, boolean firstCorrect,
                           String secondPrompt, String second, boolean secondCorrect) {
}
