package io.github.rpo4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * One parsed line of a JSONL file together with where it came from, with typed accessors that turn
 * a missing or mistyped field into a {@link DataFormatException} naming the file, line and field.
 *
 * @param file       the file the line was read from
 * @param lineNumber the 1-based line number
 * @param json       the line's JSON object
 */
public record JsonlRecord(Path file, int lineNumber, JsonNode json) {

    /** Validates the components; see the record description for the rules. */
    public JsonlRecord {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(json, "json");
        if (lineNumber < 1) {
            throw new IllegalArgumentException("lineNumber must be >= 1, was " + lineNumber);
        }
        if (!json.isObject()) {
            throw new IllegalArgumentException("a JSONL record must be a JSON object");
        }
    }

    /** True when the field is present and not JSON {@code null}. */
    public boolean has(String field) {
        JsonNode node = json.get(field);
        return node != null && !node.isNull();
    }

    /** The field's node; a missing field or JSON {@code null} is an error. */
    public JsonNode require(String field) {
        JsonNode node = json.get(field);
        if (node == null || node.isNull()) {
            throw error(field, "missing required field");
        }
        return node;
    }

    /** The field as a string; missing, {@code null} or not a JSON string is an error. */
    public String requireString(String field) {
        JsonNode node = require(field);
        if (!node.isTextual()) {
            throw error(field, "expected a string but found " + describe(node));
        }
        return node.textValue();
    }

    /** The field as a string if present; present but not a JSON string is an error. */
    public Optional<String> optionalString(String field) {
        return has(field) ? Optional.of(requireString(field)) : Optional.empty();
    }

    /**
     * The field as text when it may reasonably be written either as a string or as a number, such as an
     * id ({@code 17}) or a numeric answer ({@code 28}); objects, arrays and booleans are errors.
     */
    public String requireScalarText(String field) {
        JsonNode node = require(field);
        if (node.isTextual()) {
            return node.textValue();
        }
        if (node.isNumber()) {
            return node.asText();
        }
        throw error(field, "expected a string or a number but found " + describe(node));
    }

    /** {@link #requireScalarText} for an optional field. */
    public Optional<String> optionalScalarText(String field) {
        return has(field) ? Optional.of(requireScalarText(field)) : Optional.empty();
    }

    /** An error about the given field of this line; pass null when no single field is concerned. */
    public DataFormatException error(String field, String problem) {
        return new DataFormatException(file, lineNumber, field, problem);
    }

    /** A short description of a JSON node's type for error messages, e.g. {@code "a number (42)"}. */
    static String describe(JsonNode node) {
        if (node == null || node.isMissingNode()) {
            return "nothing";
        }
        return switch (node.getNodeType()) {
            case STRING -> "a string";
            case NUMBER -> "a number (" + node.asText() + ")";
            case BOOLEAN -> "a boolean (" + node.asText() + ")";
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case NULL -> "null";
            default -> node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
        };
    }
}
