package io.github.rpo4j.data;

import java.util.Objects;

/**
 * Field names for {@link QuestionLoaders#generic(java.nio.file.Path, GenericJsonlFields)}.
 *
 * @param promptField the field holding the prompt (required in every line; a string)
 * @param answerField the field holding the gold answer (required in every line; a string or a number)
 * @param chainField  the field holding the gold chain, or null when the files have none; when set, the
 *                    field may still be absent or null in individual lines
 * @param idField     the field holding the question id, or null to always use
 *                    {@code <file-stem>-<line>}; when set, the field may be absent in individual lines,
 *                    which then get the default id
 */
public record GenericJsonlFields(String promptField, String answerField, String chainField, String idField) {

    /** Validates the components; see the record description for the rules. */
    public GenericJsonlFields {
        requireName(promptField, "promptField");
        requireName(answerField, "answerField");
        if (chainField != null) {
            requireName(chainField, "chainField");
        }
        if (idField != null) {
            requireName(idField, "idField");
        }
    }

    /** {@code prompt}, {@code answer}, {@code chain}, {@code id}. */
    public static GenericJsonlFields defaults() {
        return new GenericJsonlFields("prompt", "answer", "chain", "id");
    }

    /** A copy with another prompt field. */
    public GenericJsonlFields withPromptField(String field) {
        return new GenericJsonlFields(field, answerField, chainField, idField);
    }

    /** A copy with another answer field. */
    public GenericJsonlFields withAnswerField(String field) {
        return new GenericJsonlFields(promptField, field, chainField, idField);
    }

    /** A copy with another chain field; null for none. */
    public GenericJsonlFields withChainField(String field) {
        return new GenericJsonlFields(promptField, answerField, field, idField);
    }

    /** A copy with another id field; null for none. */
    public GenericJsonlFields withIdField(String field) {
        return new GenericJsonlFields(promptField, answerField, chainField, field);
    }

    private static void requireName(String name, String what) {
        Objects.requireNonNull(name, what);
        if (name.isBlank()) {
            throw new IllegalArgumentException(what + " must not be blank");
        }
    }
}
