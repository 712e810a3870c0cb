package io.github.rpo4j.data;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * Counts from building preference pairs. As JSON (a run's {@code pair_stats.json}) the fields are snake_case,
 * like the run's other metrics: {@code questions_total}, {@code questions_used}, ...
 *
 * @param questionsTotal      questions considered
 * @param questionsUsed       questions that produced pairs
 * @param skippedNoWinner     questions skipped because no completion (nor gold chain, when included) was
 *                            correct; a question with neither winners nor losers counts here
 * @param skippedNoLoser      questions skipped because, though they had a winner, no completion was
 *                            incorrect
 * @param pairs               pairs produced
 * @param duplicatesRemoved   completions dropped because the same text already was in the same set
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record PairStats(int questionsTotal, int questionsUsed, int skippedNoWinner, int skippedNoLoser,
                        int pairs, int duplicatesRemoved) {

    /** Validates the components; see the record description for the rules. */
    public PairStats {
        if (questionsTotal < 0 || questionsUsed < 0 || skippedNoWinner < 0 || skippedNoLoser < 0 || pairs < 0
                || duplicatesRemoved < 0) {
            throw new IllegalArgumentException("counts must be >= 0");
        }
        if (questionsUsed + skippedNoWinner + skippedNoLoser != questionsTotal) {
            throw new IllegalArgumentException("used + skipped must equal total: " + questionsUsed + " + "
                    + skippedNoWinner + " + " + skippedNoLoser + " != " + questionsTotal);
        }
    }

    /** All zero. */
    public static PairStats empty() {
        return new PairStats(0, 0, 0, 0, 0, 0);
    }

    /** The field-wise sum. */
    public PairStats plus(PairStats other) {
        return new PairStats(questionsTotal + other.questionsTotal, questionsUsed + other.questionsUsed,
                skippedNoWinner + other.skippedNoWinner, skippedNoLoser + other.skippedNoLoser,
                pairs + other.pairs, duplicatesRemoved + other.duplicatesRemoved);
    }
}
