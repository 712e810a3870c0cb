package io.github.rpo4j.data;

import java.util.Objects;

/**
 * A training pair for preference optimisation: for the same prompt, a preferred (correct) completion and
 * a rejected (incorrect) one.
 *
 * @param questionId the question both completions answer
 * @param prompt     the prompt
 * @param chosen     the preferred completion
 * @param rejected   the rejected completion
 */
public record PreferencePair(String questionId, String prompt, String chosen, String rejected) {

    /** Validates the components; see the record description for the rules. */
    public PreferencePair {
        Objects.requireNonNull(questionId, "questionId");
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(chosen, "chosen");
        Objects.requireNonNull(rejected, "rejected");
    }
}
