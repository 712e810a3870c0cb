package io.github.rpo4j.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A checkpoint file exists and could be read, but its content violates the format it claims to have
 * (for example a safetensors header whose offsets point past the end of the file).
 *
 * <p>This is a checked {@link IOException} because it is a property of data on disk, not a programming
 * error: callers that already handle I/O failures handle this one too, and can tell it apart when they
 * want to (a corrupt file should not be retried, a transient read error might be).
 */
public class CheckpointFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String tensor;

    /**
     * Creates an exception about the file as a whole (its header, its size).
     *
     * @param file   the offending file
     * @param detail what is wrong
     */
    public CheckpointFormatException(Path file, String detail) {
        this(file, null, detail, null);
    }

    /**
     * Creates an exception about one tensor of a file.
     *
     * @param file   the offending file
     * @param tensor the name of the offending tensor, or {@code null} when the file as a whole is wrong
     * @param detail what is wrong
     * @param cause  the underlying failure, or {@code null}
     */
    public CheckpointFormatException(Path file, String tensor, String detail, Throwable cause) {
        super(message(file, tensor, detail), cause);
        this.file = file;
        this.tensor = tensor;
    }

    private static String message(Path file, String tensor, String detail) {
        StringBuilder sb = new StringBuilder();
        sb.append(file);
        if (tensor != null) {
            sb.append(": tensor '").append(tensor).append('\'');
        }
        return sb.append(": ").append(detail).toString();
    }

    /** @return the offending file */
    public Path file() {
        return file;
    }

    /** @return the offending tensor, if the problem concerns one tensor rather than the whole file */
    public Optional<String> tensor() {
        return Optional.ofNullable(tensor);
    }
}
