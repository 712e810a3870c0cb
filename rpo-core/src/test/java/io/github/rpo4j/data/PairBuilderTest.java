package io.github.rpo4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PairBuilderTest {

    private static final Question QUESTION = new Question("q1", "Ann has 3 pens. Ann buys 2 more. How many?", "5",
            "3+2=5. The answer is 5.");

    private static VerifiedSample right(String text) {
        return new VerifiedSample("q1", text, "5", true);
    }

    private static VerifiedSample wrong(String text) {
        return new VerifiedSample("q1", text, null, false);
    }

    /** Pairs rendered as "chosen/rejected" for compact assertions. */
    private static List<String> render(PairBuilder.Result result) {
        return result.pairs().stream().map(p -> p.chosen() + "/" + p.rejected()).toList();
    }

    @Test
    void noWinnerSkipsTheQuestion() {
        PairBuilder.Result result = PairBuilder.builder(3).build()
                .pairsFor(QUESTION, List.of(wrong("L1"), wrong("L2")));
        assertEquals(List.of(), result.pairs());
        assertEquals(new PairStats(1, 0, 1, 0, 0, 0), result.stats());
    }

    @Test
    void noLoserSkipsTheQuestion() {
        PairBuilder.Result result = PairBuilder.builder(3).build()
                .pairsFor(QUESTION, List.of(right("W1"), right("W2")));
        assertEquals(List.of(), result.pairs());
        assertEquals(new PairStats(1, 0, 0, 1, 0, 0), result.stats());
    }

    @Test
    void noSamplesAtAllCountsAsNoWinner() {
        PairBuilder.Result result = PairBuilder.builder(3).build().pairsFor(QUESTION, List.of());
        assertEquals(new PairStats(1, 0, 1, 0, 0, 0), result.stats());
    }

    @Test
    void kSmallerThanBothSetsTakesTheirHeads() {
        List<VerifiedSample> samples = List.of(right("W1"), wrong("L1"), right("W2"), wrong("L2"), right("W3"), wrong("L3"));
        PairBuilder.Result result = PairBuilder.builder(2).build().pairsFor(QUESTION, samples);
        assertEquals(List.of("W1/L1", "W2/L2"), render(result));
        assertEquals(new PairStats(1, 1, 0, 0, 2, 0), result.stats());
        PreferencePair first = result.pairs().get(0);
        assertEquals("q1", first.questionId());
        assertEquals(QUESTION.prompt(), first.prompt());
    }

    @Test
    void kLargerThanBothSetsWrapsEachSetAroundIndependently() {
        List<VerifiedSample> samples = List.of(right("W1"), right("W2"), wrong("L1"), wrong("L2"), wrong("L3"));
        PairBuilder.Result result = PairBuilder.builder(7).build().pairsFor(QUESTION, samples);
        assertEquals(List.of("W1/L1", "W2/L2", "W1/L3", "W2/L1", "W1/L2", "W2/L3", "W1/L1"), render(result));
        assertEquals(7, result.stats().pairs());
    }

    @Test
    void kBetweenTheSetSizesWrapsOnlyTheSmallerSet() {
        List<VerifiedSample> samples = List.of(right("W1"), wrong("L1"), wrong("L2"), wrong("L3"), wrong("L4"));
        PairBuilder.Result result = PairBuilder.builder(3).build().pairsFor(QUESTION, samples);
        assertEquals(List.of("W1/L1", "W1/L2", "W1/L3"), render(result));
    }

    @Test
    void goldChainIsLeftOutByDefault() {
        PairBuilder.Result result = PairBuilder.builder(2).build().pairsFor(QUESTION, List.of(wrong("L1")));
        assertEquals(List.of(), result.pairs());
        assertEquals(1, result.stats().skippedNoWinner());
    }

    @Test
    void goldChainOptionPutsItFirstAmongWinners() {
        PairBuilder withGold = PairBuilder.builder(3).includeGoldChain(true).build();
        PairBuilder.Result rescued = withGold.pairsFor(QUESTION, List.of(wrong("L1"), wrong("L2")));
        String gold = QUESTION.goldChain();
        assertEquals(List.of(gold + "/L1", gold + "/L2", gold + "/L1"), render(rescued));
        assertEquals(new PairStats(1, 1, 0, 0, 3, 0), rescued.stats());

        PairBuilder.Result mixed = withGold.pairsFor(QUESTION, List.of(right("W1"), wrong("L1")));
        assertEquals(List.of(gold + "/L1", "W1/L1", gold + "/L1"), render(mixed));
    }

    @Test
    void goldChainOptionIsHarmlessWithoutAGoldChain() {
        Question noChain = new Question("q1", "p", "5", null);
        PairBuilder.Result result = PairBuilder.builder(2).includeGoldChain(true).build()
                .pairsFor(noChain, List.of(wrong("L1")));
        assertEquals(1, result.stats().skippedNoWinner());
    }

    @Test
    void goldChainOptionWithoutLosersStillSkips() {
        PairBuilder.Result result = PairBuilder.builder(2).includeGoldChain(true).build().pairsFor(QUESTION, List.of());
        assertEquals(new PairStats(1, 0, 0, 1, 0, 0), result.stats());
    }

    @Test
    void deduplicationDropsRepeatedTextsInEachSetAndCountsThem() {
        List<VerifiedSample> samples = List.of(right("W1"), right("W1"), right("W2"), wrong("L1"), wrong("L1"), wrong("L1"));
        PairBuilder.Result result = PairBuilder.builder(4).build().pairsFor(QUESTION, samples);
        assertEquals(List.of("W1/L1", "W2/L1", "W1/L1", "W2/L1"), render(result));
        assertEquals(3, result.stats().duplicatesRemoved());
    }

    @Test
    void deduplicationCanBeTurnedOff() {
        List<VerifiedSample> samples = List.of(right("W1"), right("W1"), right("W2"), wrong("L1"), wrong("L2"), wrong("L1"));
        PairBuilder.Result result = PairBuilder.builder(3).deduplicate(false).build().pairsFor(QUESTION, samples);
        assertEquals(List.of("W1/L1", "W1/L2", "W2/L1"), render(result));
        assertEquals(0, result.stats().duplicatesRemoved());
    }

    @Test
    void goldChainEqualToASampleIsCountedOnce() {
        List<VerifiedSample> samples = List.of(right(QUESTION.goldChain()), right("W1"), wrong("L1"));
        PairBuilder.Result result = PairBuilder.builder(2).includeGoldChain(true).build().pairsFor(QUESTION, samples);
        assertEquals(List.of(QUESTION.goldChain() + "/L1", "W1/L1"), render(result));
        assertEquals(1, result.stats().duplicatesRemoved());
    }

    @Test
    void buildGroupsSamplesByQuestionAndSumsStats() {
        Question second = new Question("q2", "p2", "1", null);
        Question third = new Question("q3", "p3", "1", null);
        Question fourth = new Question("q4", "p4", "1", null);
        List<VerifiedSample> samples = new ArrayList<>(List.of(
                new VerifiedSample("q2", "b-right", "1", true, 0),
                right("W1"),
                new VerifiedSample("q3", "c-wrong", "2", false, 0),
                wrong("L1"),
                new VerifiedSample("q2", "b-wrong", "7", false, 1),
                new VerifiedSample("q2", "b-wrong", "7", false, 2)));
        PairBuilder.Result result = PairBuilder.builder(2).build().build(List.of(QUESTION, second, third, fourth), samples);
        assertEquals(List.of("W1/L1", "W1/L1", "b-right/b-wrong", "b-right/b-wrong"), render(result));
        assertEquals(List.of("q1", "q1", "q2", "q2"), result.pairs().stream().map(PreferencePair::questionId).toList());
        assertEquals(new PairStats(4, 2, 2, 0, 4, 1), result.stats());
    }

    @Test
    void inconsistentInputIsRejected() {
        PairBuilder builder = PairBuilder.builder(1).build();
        assertThrows(IllegalArgumentException.class,
                () -> builder.pairsFor(QUESTION, List.of(new VerifiedSample("other", "x", null, true))));
        assertThrows(IllegalArgumentException.class,
                () -> builder.build(List.of(QUESTION), List.of(new VerifiedSample("unknown", "x", null, true))));
        assertThrows(IllegalArgumentException.class, () -> builder.build(List.of(QUESTION, QUESTION), List.of()));
        assertThrows(IllegalArgumentException.class, () -> PairBuilder.builder(0));
    }

    @Test
    void scoringASampleUsesExtractorAndVerifier() {
        VerifiedSample correct = VerifiedSample.verify(QUESTION, "3+2=5. The answer is 5.", 4,
                new NumericAnswerExtractor(), Verifiers.numericExactMatch());
        assertEquals(new VerifiedSample("q1", "3+2=5. The answer is 5.", "5", true, 4), correct);
        VerifiedSample unanswered = VerifiedSample.verify(QUESTION, "3+2=6.", 5,
                new NumericAnswerExtractor(), Verifiers.numericExactMatch());
        assertEquals(new VerifiedSample("q1", "3+2=6.", null, false, 5), unanswered);
    }

    @Test
    void statsMustAddUp() {
        assertThrows(IllegalArgumentException.class, () -> new PairStats(2, 1, 0, 0, 1, 0));
        assertEquals(new PairStats(3, 1, 1, 1, 5, 2), new PairStats(1, 1, 0, 0, 5, 2).plus(new PairStats(2, 0, 1, 1, 0, 0)));
    }
}
