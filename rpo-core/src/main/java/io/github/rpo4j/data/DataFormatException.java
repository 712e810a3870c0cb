package io.github.rpo4j.data;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Thrown when a data file is readable but its content is not what the reader expects: a line that is
 * not a JSON object, a missing or mistyped field, an answer that cannot be parsed, an empty file.
 *
 * <p>The message always names the file, and where the problem sits on one line also the 1-based line
 * number and the field, in the form {@code data/train.jsonl:12: field 'answer': expected a string but
 * found a number}. The same pieces are available separately through {@link #file()},
 * {@link #lineNumber()} and {@link #field()}.
 *
 * <p>This is an unchecked exception (a subclass of {@link IllegalArgumentException}) because bad content
 * is bad input rather than an I/O failure, and because records are often parsed inside lambdas and
 * streams where checked exceptions are awkward. Genuine I/O failures (a missing file, a read error)
 * are reported as {@link java.io.IOException} instead.
 */
public class DataFormatException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /** Line number used when the problem concerns the file as a whole rather than one line. */
    public static final int WHOLE_FILE = 0;

    private final transient Path file;
    private final int lineNumber;
    private final String field;
    private final String problem;

    /**
     * @param file       the file in which the problem was found; never null
     * @param lineNumber the 1-based line number, or {@link #WHOLE_FILE}
     * @param field      the JSON field concerned, or null when the problem is not about one field
     * @param problem    what is wrong, in words
     * @param cause      the underlying parser exception, or null
     */
    public DataFormatException(Path file, int lineNumber, String field, String problem, Throwable cause) {
        super(format(file, lineNumber, field, problem), cause);
        if (lineNumber < 0) {
            throw new IllegalArgumentException("lineNumber must be >= 0, was " + lineNumber);
        }
        this.file = file;
        this.lineNumber = lineNumber;
        this.field = field;
        this.problem = problem;
    }

    /** Same as the five-argument constructor without a cause. */
    public DataFormatException(Path file, int lineNumber, String field, String problem) {
        this(file, lineNumber, field, problem, null);
    }

    /** A problem with the whole file, such as the file being empty. */
    public static DataFormatException wholeFile(Path file, String problem) {
        return new DataFormatException(file, WHOLE_FILE, null, problem, null);
    }

    private static String format(Path file, int lineNumber, String field, String problem) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(problem, "problem");
        StringBuilder message = new StringBuilder(file.toString());
        if (lineNumber > 0) {
            message.append(':').append(lineNumber);
        }
        message.append(": ");
        if (field != null) {
            message.append("field '").append(field).append("': ");
        }
        return message.append(problem).toString();
    }

    /** The file in which the problem was found. */
    public Path file() {
        return file;
    }

    /** The 1-based line number, or {@link #WHOLE_FILE} when the problem is not on one line. */
    public int lineNumber() {
        return lineNumber;
    }

    /** The JSON field concerned, or null. */
    public String field() {
        return field;
    }

    /** The description of the problem without the file, line and field prefix. */
    public String problem() {
        return problem;
    }
}
