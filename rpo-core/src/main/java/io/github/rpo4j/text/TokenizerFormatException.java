package io.github.rpo4j.text;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A tokenizer file could be read but does not describe a tokenizer this library supports: a required field
 * is missing or has the wrong type, a merge is malformed, an id is out of range, or a feature (model type,
 * normalizer, pre-tokenizer) is not implemented.
 *
 * <p>Checked, like {@link io.github.rpo4j.io.CheckpointFormatException}, because it describes data on disk;
 * the message always names the file and the JSON field (as a path such as {@code model.merges[12]}).
 */
public class TokenizerFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String field;

    /**
     * @param file   the tokenizer file (or {@code null} for a tree that did not come from a file)
     * @param field  the JSON path of the offending field, e.g. {@code model.vocab}
     * @param detail what is wrong with it
     */
    public TokenizerFormatException(Path file, String field, String detail) {
        this(file, field, detail, null);
    }

    /**
     * @param file   the tokenizer file (or {@code null} for a tree that did not come from a file)
     * @param field  the JSON path of the offending field, e.g. {@code model.vocab}
     * @param detail what is wrong with it
     * @param cause  the underlying failure, or {@code null}
     */
    public TokenizerFormatException(Path file, String field, String detail, Throwable cause) {
        super((file == null ? "<in-memory tokenizer>" : file.toString()) + ": field '" + field + "': " + detail, cause);
        this.file = file;
        this.field = field;
    }

    /** @return the offending file, or {@code null} if the tokenizer did not come from a file */
    public Path file() {
        return file;
    }

    /** @return the JSON path of the offending field */
    public String field() {
        return field;
    }
}
