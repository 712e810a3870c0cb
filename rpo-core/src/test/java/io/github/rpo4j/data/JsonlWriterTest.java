package io.github.rpo4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonlWriterTest {

    @TempDir
    Path dir;

    record Pair(String chosen, String rejected) {
    }

    /** Serialisation of this fails, which lets a test provoke a failure in the middle of a write. */
    static final class Unserialisable {
        public String getValue() {
            throw new IllegalStateException("cannot be written");
        }
    }

    @Test
    void writesOneObjectPerLineEvenWithLineBreaksInStrings() throws IOException {
        Path file = dir.resolve("pairs.jsonl");
        JsonlWriter.writeAtomically(file, List.of(new Pair("a\nb", "c"), new Pair("d", "e\r\nf")));
        List<String> lines = Files.readAllLines(file);
        assertEquals(List.of("{\"chosen\":\"a\\nb\",\"rejected\":\"c\"}", "{\"chosen\":\"d\",\"rejected\":\"e\\r\\nf\"}"), lines);
    }

    @Test
    void atomicWriteReplacesExistingContent() throws IOException {
        Path file = TestFiles.write(dir, "pairs.jsonl", "old\n");
        JsonlWriter.writeAtomically(file, List.of(new Pair("x", "y")));
        assertEquals(List.of(new Pair("x", "y")), JsonlReader.readAll(file, Pair.class));
        assertEquals(List.of(file.getFileName()), listDir());
    }

    @Test
    void failedAtomicWriteKeepsOldContentAndLeavesNoTemporaryFile() throws IOException {
        Path file = TestFiles.write(dir, "pairs.jsonl", "{\"chosen\":\"old\",\"rejected\":\"old\"}\n");
        List<Object> records = List.of(new Pair("new", "new"), new Unserialisable());
        assertThrows(IllegalArgumentException.class, () -> JsonlWriter.writeAtomically(file, records));
        assertEquals("{\"chosen\":\"old\",\"rejected\":\"old\"}\n", Files.readString(file));
        assertEquals(List.of(file.getFileName()), listDir());
    }

    @Test
    void rejectsValuesThatAreNotObjects() {
        assertThrows(IllegalArgumentException.class, () -> JsonlWriter.toJsonLine("just a string"));
        assertThrows(IllegalArgumentException.class, () -> JsonlWriter.toJsonLine(List.of(1, 2)));
    }

    @Test
    void appendingWriterFlushesEachRecordAndKeepsExistingLines() throws IOException {
        Path file = TestFiles.write(dir, "samples.jsonl", "{\"chosen\":\"0\",\"rejected\":\"0\"}\n");
        try (JsonlWriter writer = JsonlWriter.appending(file)) {
            writer.write(new Pair("1", "1"));
            // Visible to a reader before the writer is closed: the record was flushed.
            assertEquals(2, Files.readAllLines(file).size());
            writer.write(new Pair("2", "2"));
            assertEquals(2, writer.recordsWritten());
        }
        JsonlWriter.appendRecord(file, new Pair("3", "3"));
        List<Pair> pairs = JsonlReader.readAll(file, Pair.class);
        assertEquals(List.of("0", "1", "2", "3"), pairs.stream().map(Pair::chosen).toList());
    }

    @Test
    void appendRecordCreatesTheFile() throws IOException {
        Path file = dir.resolve("new.jsonl");
        JsonlWriter.appendRecord(file, new Pair("a", "b"));
        assertEquals(List.of(new Pair("a", "b")), JsonlReader.readAll(file, Pair.class));
    }

    @Test
    void failedAppendWritesNothing() throws IOException {
        Path file = TestFiles.write(dir, "samples.jsonl", "{\"chosen\":\"0\",\"rejected\":\"0\"}\n");
        assertThrows(IllegalArgumentException.class, () -> JsonlWriter.appendRecord(file, new Unserialisable()));
        assertEquals("{\"chosen\":\"0\",\"rejected\":\"0\"}\n", Files.readString(file));
    }

    @Test
    void questionsRoundTrip() throws IOException {
        Path file = dir.resolve("questions.jsonl");
        List<Question> questions = List.of(
                new Question("q1", "Ann has 3 pens.", "3", "The answer is 3."),
                new Question("q2", "Pick one", "B", null, List.of(new Choice("A", "x"), new Choice("B", "y"))));
        JsonlWriter.writeAtomically(file, questions);
        assertEquals(questions, JsonlReader.readAll(file, Question.class));
    }

    private List<Path> listDir() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(Path::getFileName).toList();
        }
    }
}
