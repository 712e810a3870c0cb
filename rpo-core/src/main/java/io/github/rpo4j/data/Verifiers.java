package io.github.rpo4j.data;

import java.util.Objects;
import java.util.Optional;

/** Standard {@link Verifier}s. */
public final class Verifiers {

    private static final NumericAnswerExtractor NUMERIC = new NumericAnswerExtractor();
    private static final MultipleChoiceExtractor MULTIPLE_CHOICE = new MultipleChoiceExtractor();

    private Verifiers() {
    }

    /**
     * Correct when the extractor finds an answer and it equals the extractor's normalisation of the gold
     * answer ({@link AnswerExtractor#normalize}). A completion without a recognisable answer is incorrect.
     */
    public static Verifier fromExtractor(AnswerExtractor extractor) {
        Objects.requireNonNull(extractor, "extractor");
        return (question, completion) -> {
            Optional<String> answer = extractor.extract(completion);
            return answer.isPresent() && answer.get().equals(extractor.normalize(question.goldAnswer()));
        };
    }

    /**
     * Numeric exact match after normalisation ({@link NumericAnswerExtractor}): "The answer is 1,234.00."
     * matches the gold answer "1234".
     */
    public static Verifier numericExactMatch() {
        return fromExtractor(NUMERIC);
    }

    /** Choice-label match ({@link MultipleChoiceExtractor}): "The answer is (b)" matches the gold "B". */
    public static Verifier multipleChoice() {
        return fromExtractor(MULTIPLE_CHOICE);
    }

    /**
     * Chooses per question: {@link #multipleChoice()} for a question with choices, otherwise
     * {@link #numericExactMatch()}.
     */
    public static Verifier byQuestionKind() {
        Verifier choice = multipleChoice();
        Verifier numeric = numericExactMatch();
        return (question, completion) -> question.hasChoices()
                ? choice.isCorrect(question, completion)
                : numeric.isCorrect(question, completion);
    }
}
