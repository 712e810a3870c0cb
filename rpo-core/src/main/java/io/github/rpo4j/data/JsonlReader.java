package io.github.rpo4j.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Function;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * Reads JSONL files: UTF-8 text with one JSON object per line.
 *
 * <ul>
 *   <li>Lines that are empty or contain only whitespace are skipped (they still count for line numbers).</li>
 *   <li>A UTF-8 byte-order mark at the start of the file is ignored.</li>
 *   <li>A line that is not valid JSON, holds something other than one JSON object, or has trailing
 *       content after the object is a {@link DataFormatException} naming the file and line.</li>
 *   <li>A file without a single record is a {@link DataFormatException} naming the file.</li>
 *   <li>Bytes that are not valid UTF-8 are a {@link DataFormatException} naming the file and, where it
 *       can be known, the line.</li>
 * </ul>
 *
 * <p>The reader never modifies the file. All methods are static and thread-safe.
 */
public final class JsonlReader {

    /** Shared mapper: rejects trailing tokens so that {@code {"a":1} {"b":2}} on one line is an error. */
    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    private JsonlReader() {
    }

    /**
     * Streams the records of a file lazily. The stream holds the file open and must be closed, e.g. with
     * try-with-resources. Format problems surface as {@link DataFormatException} while the stream is
     * consumed; I/O failures during reading surface as {@link UncheckedIOException}.
     *
     * @throws IOException if the file cannot be opened
     */
    public static Stream<JsonlRecord> stream(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8);
        RecordIterator iterator = new RecordIterator(file, reader);
        return StreamSupport.stream(
                        Spliterators.spliteratorUnknownSize(iterator, Spliterator.ORDERED | Spliterator.NONNULL), false)
                .onClose(() -> {
                    try {
                        reader.close();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
    }

    /** Reads every record of a file into memory. */
    public static List<JsonlRecord> readAll(Path file) throws IOException {
        return readAll(file, Function.identity());
    }

    /**
     * Reads every record of a file and converts each with {@code parser}; the parser reports bad content
     * with {@link JsonlRecord#error} or the typed accessors of {@link JsonlRecord}.
     */
    public static <T> List<T> readAll(Path file, Function<JsonlRecord, ? extends T> parser) throws IOException {
        Objects.requireNonNull(parser, "parser");
        List<T> result = new ArrayList<>();
        try (Stream<JsonlRecord> records = stream(file)) {
            records.forEachOrdered(record -> result.add(parser.apply(record)));
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return result;
    }

    /**
     * Reads every record of a file as an instance of {@code type} (a record class, for example, such as
     * the ones {@link JsonlWriter} wrote). Unknown JSON properties, absent constructor properties and
     * {@code null} for a primitive are errors naming the offending property; an explicit {@code null} for
     * a reference-typed property is accepted. Whatever the type's constructor rejects is reported as a
     * {@link DataFormatException} for the line.
     */
    public static <T> List<T> readAll(Path file, Class<T> type) throws IOException {
        Objects.requireNonNull(type, "type");
        return readAll(file, record -> convert(record, type));
    }

    private static <T> T convert(JsonlRecord record, Class<T> type) {
        try {
            return MAPPER.treeToValue(record.json(), type);
        } catch (MismatchedInputException e) {
            String field = e.getPath().isEmpty() ? null : e.getPath().get(e.getPath().size() - 1).getFieldName();
            throw new DataFormatException(record.file(), record.lineNumber(), field,
                    "cannot read as " + type.getSimpleName() + ": " + e.getOriginalMessage(), e);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            // Record constructors validate their arguments; Jackson wraps what they throw, so report the root.
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            throw new DataFormatException(record.file(), record.lineNumber(), null,
                    "cannot read as " + type.getSimpleName() + ": " + root.getMessage(), e);
        }
    }

    /** Parses one non-blank line; package-private so that tests can exercise it directly. */
    static JsonlRecord parseLine(Path file, int lineNumber, String line) {
        JsonNode node;
        try {
            node = MAPPER.readTree(line);
        } catch (JsonProcessingException e) {
            throw new DataFormatException(file, lineNumber, null,
                    "malformed JSON: " + e.getOriginalMessage(), e);
        }
        if (node == null || !node.isObject()) {
            throw new DataFormatException(file, lineNumber, null,
                    "expected a JSON object but found " + JsonlRecord.describe(node));
        }
        return new JsonlRecord(file, lineNumber, node);
    }

    /** Walks the lines of a reader, skipping blank ones; throws at the end if nothing was found. */
    private static final class RecordIterator implements Iterator<JsonlRecord> {
        private final Path file;
        private final BufferedReader reader;
        private int lineNumber;
        private int recordsReturned;
        private JsonlRecord next;
        private boolean finished;

        RecordIterator(Path file, BufferedReader reader) {
            this.file = file;
            this.reader = reader;
        }

        @Override
        public boolean hasNext() {
            if (next != null) {
                return true;
            }
            if (finished) {
                return false;
            }
            String line;
            while ((line = readLine()) != null) {
                lineNumber++;
                if (lineNumber == 1 && !line.isEmpty() && line.charAt(0) == '\uFEFF') {
                    line = line.substring(1);
                }
                if (!line.isBlank()) {
                    next = parseLine(file, lineNumber, line);
                    return true;
                }
            }
            finished = true;
            if (recordsReturned == 0) {
                throw DataFormatException.wholeFile(file,
                        lineNumber == 0 ? "file is empty" : "file has no records (only blank lines)");
            }
            return false;
        }

        private String readLine() {
            try {
                return reader.readLine();
            } catch (CharacterCodingException e) {
                // The decoder works ahead of the line being returned, so the bad bytes are on this line or a
                // later one; say so rather than pretend to more precision than there is.
                throw new DataFormatException(file, lineNumber + 1, null,
                        "not valid UTF-8 text (on this line or a later one)", e);
            } catch (IOException e) {
                throw new UncheckedIOException("reading " + file, e);
            }
        }

        @Override
        public JsonlRecord next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            JsonlRecord result = next;
            next = null;
            recordsReturned++;
            return result;
        }
    }
}
