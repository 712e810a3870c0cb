package io.github.rpo4j.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.Flushable;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.UUID;

/**
 * Writes JSONL files: one JSON object per line, UTF-8, each line ended by {@code \n}.
 *
 * <p>Any value Jackson can serialise to a JSON object is accepted; Java records serialise to an object
 * with one property per component. Strings containing line breaks are escaped by JSON, so a record
 * always occupies exactly one line.
 *
 * <p>Two ways of writing:
 * <ul>
 *   <li>{@link #writeAtomically(Path, Iterable)} replaces a whole file in one step: the records go to a
 *       temporary file in the same directory, which is synced and then renamed over the target. A reader
 *       sees either the old file or the complete new one, and if anything fails (a value that cannot be
 *       serialised, a full disk) the old file is left exactly as it was.</li>
 *   <li>{@link #appending(Path)} opens a writer that adds records at the end of a file (creating it if
 *       needed) and flushes after every record, so that a crash loses at most the record being written.
 *       {@link #appendRecord(Path, Object)} is the one-record shorthand.</li>
 * </ul>
 *
 * <p>A value that serialises to something other than a JSON object (a string, a number, an array) is
 * rejected with {@link IllegalArgumentException} before anything is written.
 */
public final class JsonlWriter implements Closeable, Flushable {

    private static final ObjectMapper MAPPER = JsonlReader.MAPPER;

    private final Path file;
    private final Writer out;
    private long recordsWritten;

    private JsonlWriter(Path file, Writer out) {
        this.file = file;
        this.out = out;
    }

    /**
     * Opens {@code file} for appending, creating it (but not its parent directories) if it does not exist.
     * Every {@link #write} is flushed to the operating system before it returns.
     */
    public static JsonlWriter appending(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        OutputStream stream = Files.newOutputStream(file,
                StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        return new JsonlWriter(file, new BufferedWriter(new OutputStreamWriter(stream, StandardCharsets.UTF_8)));
    }

    /** Appends one record to {@code file} (creating the file if needed) and flushes. */
    public static void appendRecord(Path file, Object record) throws IOException {
        String line = toJsonLine(record);
        try (JsonlWriter writer = appending(file)) {
            writer.writeLine(line);
        }
    }

    /**
     * Replaces {@code file} with the given records, atomically where the file system allows: the records
     * are written to a temporary file in the same directory, forced to disk, and renamed over the target.
     * On failure the temporary file is deleted and the previous content of {@code file}, if any, is
     * untouched. An empty iterable produces an empty file.
     */
    public static void writeAtomically(Path file, Iterable<?> records) throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(records, "records");
        Path absolute = file.toAbsolutePath();
        Path directory = absolute.getParent();
        // Not Files.createTempFile: that creates owner-only files, and the renamed result would silently lose
        // the permissions the process's umask would normally give a new file.
        Path temporary = directory.resolve("." + absolute.getFileName() + "." + UUID.randomUUID() + ".tmp");
        boolean moved = false;
        try {
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                 Writer out = new BufferedWriter(new OutputStreamWriter(
                         Channels.newOutputStream(channel), StandardCharsets.UTF_8))) {
                for (Object record : records) {
                    out.write(toJsonLine(record));
                    out.write('\n');
                }
                out.flush();
                channel.force(true);
            }
            try {
                Files.move(temporary, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                // Some file systems cannot rename atomically. The content is complete before the move, so a plain
                // replace still never leaves a partially written file under the target name.
                Files.move(temporary, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
            moved = true;
        } finally {
            if (!moved) {
                Files.deleteIfExists(temporary);
            }
        }
    }

    /** Serialises one record to a single line of JSON without the line terminator. */
    public static String toJsonLine(Object record) {
        Objects.requireNonNull(record, "record");
        JsonNode tree = MAPPER.valueToTree(record);
        if (tree == null || !tree.isObject()) {
            throw new IllegalArgumentException("a JSONL record must serialise to a JSON object, but "
                    + record.getClass().getName() + " serialises to " + JsonlRecord.describe(tree));
        }
        try {
            return MAPPER.writeValueAsString(tree);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot serialise " + record.getClass().getName(), e);
        }
    }

    /** Writes one record as a line and flushes. */
    public void write(Object record) throws IOException {
        writeLine(toJsonLine(record));
    }

    private void writeLine(String line) throws IOException {
        out.write(line);
        out.write('\n');
        out.flush();
        recordsWritten++;
    }

    /** The file this writer appends to. */
    public Path file() {
        return file;
    }

    /** How many records this writer has written. */
    public long recordsWritten() {
        return recordsWritten;
    }

    @Override
    public void flush() throws IOException {
        out.flush();
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
