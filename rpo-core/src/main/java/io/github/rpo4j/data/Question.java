package io.github.rpo4j.data;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A reasoning question with its reference answer.
 *
 * @param id         a stable identifier, unique within its data set; non-blank
 * @param prompt     the text the model is conditioned on; non-empty
 * @param goldAnswer the reference final answer in normalised form (e.g. {@code "28"} or {@code "B"});
 *                   non-blank
 * @param goldChain  the full reference completion, chain of thought followed by the final answer
 *                   statement (e.g. {@code "23+14=37. 37-9=28. The answer is 28."}), or null when the
 *                   data set has none
 * @param choices    the labelled options of a multiple-choice question, empty otherwise; never null
 *                   (null is accepted and stored as an empty list); labels must be distinct
 */
public record Question(String id, String prompt, String goldAnswer, String goldChain, List<Choice> choices) {

    /** Validates the components; see the record description for the rules. */
    public Question {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(goldAnswer, "goldAnswer");
        if (id.isBlank()) {
            throw new IllegalArgumentException("question id must not be blank");
        }
        if (prompt.isEmpty()) {
            throw new IllegalArgumentException("question '" + id + "': prompt must not be empty");
        }
        if (goldAnswer.isBlank()) {
            throw new IllegalArgumentException("question '" + id + "': gold answer must not be blank");
        }
        choices = choices == null ? List.of() : List.copyOf(choices);
        Set<String> labels = new HashSet<>();
        for (Choice choice : choices) {
            if (!labels.add(choice.label())) {
                throw new IllegalArgumentException("question '" + id + "': duplicate choice label '"
                        + choice.label() + "'");
            }
        }
    }

    /** A free-answer question (no choices). */
    public Question(String id, String prompt, String goldAnswer, String goldChain) {
        this(id, prompt, goldAnswer, goldChain, List.of());
    }

    /** The gold chain if the question has one. */
    public Optional<String> goldChainIfPresent() {
        return Optional.ofNullable(goldChain);
    }

    /** True when the question offers labelled choices. */
    public boolean hasChoices() {
        return !choices.isEmpty();
    }
}
