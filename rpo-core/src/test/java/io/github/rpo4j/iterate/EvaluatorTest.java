package io.github.rpo4j.iterate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rpo4j.data.NumericAnswerExtractor;
import io.github.rpo4j.data.Question;
import io.github.rpo4j.data.Verifier;
import io.github.rpo4j.data.Verifiers;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class EvaluatorTest {

    private final Question question = new Question("q1", "What is 2+3?", "5", null, List.of());

    /** Correct only when the answer is right and the chain shows the sum; it sees every completion it judges. */
    private final List<String> judged = new ArrayList<>();
    private final Verifier readsTheChain = (q, completion) -> {
        judged.add(completion);
        return completion.contains("2+3=5") && Verifiers.numericExactMatch().isCorrect(q, completion);
    };

    @Test
    void theMajorityIsJudgedOnTheFirstRealCompletionThatStatesIt() {
        Evaluator evaluator = Evaluator.numeric(readsTheChain);
        // 5 wins 2 to 1; its first completion carries the chain the verifier wants
        assertTrue(evaluator.majorityIsCorrect(question, List.of(
                "2+3=5. The answer is 5.", "I guess. The answer is 6.", "Hmm. The answer is 5.")));
        assertEquals(List.of("2+3=5. The answer is 5."), judged);
        // The same answers with the chain-less completion first: the vote is judged on what was written first
        judged.clear();
        assertFalse(evaluator.majorityIsCorrect(question, List.of(
                "Hmm. The answer is 5.", "I guess. The answer is 6.", "2+3=5. The answer is 5.")));
        assertEquals(List.of("Hmm. The answer is 5."), judged);
    }

    @Test
    void aWrongMajorityAndNoAnswerAtAllAreNotCorrect() {
        Evaluator evaluator = Evaluator.numeric(readsTheChain);
        assertFalse(evaluator.majorityIsCorrect(question, List.of(
                "2+3=5. The answer is 5.", "2+3=6. The answer is 6.", "2+3=6. The answer is 6.")));
        assertEquals(List.of("2+3=6. The answer is 6."), judged);
        judged.clear();
        assertFalse(evaluator.majorityIsCorrect(question, List.of("no idea", "still none")));
        assertTrue(judged.isEmpty(), "nothing to judge when no sample states an answer");
    }

    @Test
    void tiesGoToTheAnswerThatReachedTheTopCountFirst() {
        Evaluator evaluator = Evaluator.numeric(readsTheChain);
        // 7, 8, 8, 7: 8 reaches two votes first
        assertEquals(Optional.of("b The answer is 8."), evaluator.majority(List.of(
                "a The answer is 7.", "b The answer is 8.", "c The answer is 8.", "d The answer is 7.")));
        assertEquals(Optional.of("a The answer is 7."), evaluator.majority(List.of(
                "a The answer is 7.", "b The answer is 8.")));
        assertEquals(new NumericAnswerExtractor().extract("b The answer is 8."), Optional.of("8"));
    }
}
