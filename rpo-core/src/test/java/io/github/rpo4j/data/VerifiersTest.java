package io.github.rpo4j.data;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class VerifiersTest {

    private final Question arithmetic = new Question("q", "Ann has 23 pens...", "28", "23+5=28. The answer is 28.");
    private final Question choice = new Question("c", "Pick", "B", null, List.of(new Choice("A", "x"), new Choice("B", "y")));

    @Test
    void numericExactMatchComparesNormalisedNumbers() {
        Verifier verifier = Verifiers.numericExactMatch();
        assertTrue(verifier.isCorrect(arithmetic, "23+5=28. The answer is 28."));
        assertTrue(verifier.isCorrect(arithmetic, "The answer is 28.00"));
        assertFalse(verifier.isCorrect(arithmetic, "The answer is 27."));
        assertFalse(verifier.isCorrect(arithmetic, "28"), "no answer statement, no credit");
        assertFalse(verifier.isCorrect(arithmetic, "The answer is 28. The answer is 29."));
        Question goldWithComma = new Question("g", "p", "1,234", null);
        assertTrue(verifier.isCorrect(goldWithComma, "The answer is 1234."));
    }

    @Test
    void multipleChoiceComparesLabels() {
        Verifier verifier = Verifiers.multipleChoice();
        assertTrue(verifier.isCorrect(choice, "The answer is (b)."));
        assertTrue(verifier.isCorrect(choice, "Answer: B"));
        assertFalse(verifier.isCorrect(choice, "The answer is A."));
        assertFalse(verifier.isCorrect(choice, "no idea"));
    }

    @Test
    void fromExtractorUsesTheExtractorsNormalisation() {
        AnswerExtractor lastWord = new AnswerExtractor() {
            @Override
            public Optional<String> extract(String completion) {
                String[] words = completion.strip().split("\\s+");
                return words.length == 0 || words[0].isEmpty() ? Optional.empty()
                        : Optional.of(words[words.length - 1].toLowerCase());
            }

            @Override
            public String normalize(String answer) {
                return answer.strip().toLowerCase();
            }
        };
        Verifier verifier = Verifiers.fromExtractor(lastWord);
        Question question = new Question("w", "colour?", " Blue ", null);
        assertTrue(verifier.isCorrect(question, "it is BLUE"));
        assertFalse(verifier.isCorrect(question, "it is red"));
        assertFalse(verifier.isCorrect(question, "   "));
    }

    @Test
    void byQuestionKindPicksTheVerifierFromTheQuestion() {
        Verifier verifier = Verifiers.byQuestionKind();
        assertTrue(verifier.isCorrect(arithmetic, "The answer is 28."));
        assertTrue(verifier.isCorrect(choice, "The answer is B."));
        assertFalse(verifier.isCorrect(choice, "The answer is 28."));
    }

    @Test
    void aLambdaIsAVerifier() {
        Verifier containsGold = (question, completion) -> completion.contains(question.goldAnswer());
        assertTrue(containsGold.isCorrect(arithmetic, "x 28 y"));
        assertFalse(containsGold.isCorrect(arithmetic, "x 27 y"));
    }
}
