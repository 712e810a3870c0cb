package io.github.rpo4j.data;

import java.util.Objects;

/**
 * One sampled completion for a question, with its extracted answer and verdict.
 *
 * @param questionId      the id of the question it answers; non-blank
 * @param completion      the sampled text; non-null
 * @param extractedAnswer the answer found in the completion, or null when none was found
 * @param correct         whether the completion was judged correct
 * @param sampleIndex     the position of the sample among those drawn for the question, or
 *                        {@link #NO_INDEX} when not tracked
 */
public record VerifiedSample(String questionId, String completion, String extractedAnswer, boolean correct,
                           int sampleIndex) {

    /** The {@code sampleIndex} of a sample whose position is not tracked. */
    public static final int NO_INDEX = -1;

    /** Validates the components; see the record description for the rules. */
    public VerifiedSample {
        Objects.requireNonNull(questionId, "questionId");
        Objects.requireNonNull(completion, "completion");
        if (questionId.isBlank()) {
            throw new IllegalArgumentException("questionId must not be blank");
        }
        if (sampleIndex < NO_INDEX) {
            throw new IllegalArgumentException("sampleIndex must be >= 0 or NO_INDEX, was " + sampleIndex);
        }
    }

    /** A sample without a tracked index. */
    public VerifiedSample(String questionId, String completion, String extractedAnswer, boolean correct) {
        this(questionId, completion, extractedAnswer, correct, NO_INDEX);
    }

    /**
     * Verifies a completion: the extractor supplies {@code extractedAnswer}, the verifier the verdict.
     */
    public static VerifiedSample verify(Question question, String completion, int sampleIndex,
                                     AnswerExtractor extractor, Verifier verifier) {
        Objects.requireNonNull(question, "question");
        Objects.requireNonNull(extractor, "extractor");
        Objects.requireNonNull(verifier, "verifier");
        return new VerifiedSample(question.id(), completion, extractor.extract(completion).orElse(null),
                verifier.isCorrect(question, completion), sampleIndex);
    }
}
