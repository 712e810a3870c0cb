package io.github.rpo4j.data;

import java.util.Objects;

/**
 * One labelled option of a multiple-choice question, such as {@code A) a magnet}.
 *
 * @param label the label the answer refers to, e.g. {@code "A"} or {@code "1"}; non-blank, no surrounding
 *              whitespace
 * @param text  the option's text; non-null
 */
public record Choice(String label, String text) {

    /** Validates the components; see the record description for the rules. */
    public Choice {
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(text, "text");
        if (label.isBlank() || !label.equals(label.strip())) {
            throw new IllegalArgumentException("choice label must be non-blank without surrounding whitespace: '"
                    + label + "'");
        }
    }

    /** The option as it appears in a rendered prompt: {@code "A) a magnet"}. */
    public String render() {
        return label + ") " + text;
    }
}
