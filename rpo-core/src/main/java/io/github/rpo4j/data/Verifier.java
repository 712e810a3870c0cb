package io.github.rpo4j.data;

/**
 * Decides whether a completion answers a question correctly. A lambda will do; {@link Verifiers} has
 * the standard ones.
 */
@FunctionalInterface
public interface Verifier {

    /** True when {@code completion} states the question's gold answer. */
    boolean isCorrect(Question question, String completion);
}
