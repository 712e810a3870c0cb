package io.github.rpo4j.data;

/**
 * A process verifier: judges every reasoning step of a completion, not only its final answer. Used for
 * diagnostics (how many correct-answer samples reached their answer through sound steps), never to choose
 * what a method trains on.
 */
@FunctionalInterface
public interface StepChecker {

    /** Whether the completion has at least one checkable step and every one of its steps is right. */
    boolean allStepsCorrect(Question question, String completion);
}
