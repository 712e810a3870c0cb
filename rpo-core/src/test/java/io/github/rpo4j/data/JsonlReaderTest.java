package io.github.rpo4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonlReaderTest {

    @TempDir
    Path dir;

    @Test
    void skipsBlankLinesButCountsThemForLineNumbers() throws IOException {
        Path file = TestFiles.write(dir, "a.jsonl", "{\"x\":1}\n\n   \n{\"x\":2}\n");
        List<JsonlRecord> records = JsonlReader.readAll(file);
        assertEquals(2, records.size());
        assertEquals(1, records.get(0).lineNumber());
        assertEquals(4, records.get(1).lineNumber());
        assertEquals(2, records.get(1).json().get("x").intValue());
    }

    @Test
    void acceptsMissingFinalNewlineAndByteOrderMark() throws IOException {
        Path file = TestFiles.write(dir, "bom.jsonl", "\uFEFF{\"x\":\"a\"}\n{\"x\":\"b\"}");
        List<String> values = JsonlReader.readAll(file, record -> record.requireString("x"));
        assertEquals(List.of("a", "b"), values);
    }

    @Test
    void malformedLineNamesFileAndLine() throws IOException {
        Path file = TestFiles.write(dir, "bad.jsonl", "{\"x\":1}\n\n{\"x\": 2,\n");
        DataFormatException e = assertThrows(DataFormatException.class, () -> JsonlReader.readAll(file));
        assertEquals(3, e.lineNumber());
        assertEquals(file, e.file());
        assertTrue(e.getMessage().startsWith(file + ":3: malformed JSON"), e.getMessage());
    }

    @Test
    void lineThatIsNotAnObjectIsAnError() throws IOException {
        Path file = TestFiles.write(dir, "arr.jsonl", "{\"x\":1}\n[1,2]\n");
        DataFormatException e = assertThrows(DataFormatException.class, () -> JsonlReader.readAll(file));
        assertEquals(2, e.lineNumber());
        assertTrue(e.getMessage().contains("expected a JSON object but found an array"), e.getMessage());
    }

    @Test
    void trailingContentAfterTheObjectIsAnError() throws IOException {
        Path file = TestFiles.write(dir, "two.jsonl", "{\"x\":1} {\"x\":2}\n");
        DataFormatException e = assertThrows(DataFormatException.class, () -> JsonlReader.readAll(file));
        assertEquals(1, e.lineNumber());
    }

    @Test
    void missingAndMistypedFieldsNameTheField() throws IOException {
        Path file = TestFiles.write(dir, "f.jsonl", "{\"a\":\"ok\",\"n\":3}\n{\"a\":7}\n{\"b\":1}\n");
        DataFormatException wrongType = assertThrows(DataFormatException.class,
                () -> JsonlReader.readAll(file, record -> record.requireString("a")));
        assertEquals(2, wrongType.lineNumber());
        assertEquals("a", wrongType.field());
        assertEquals(file + ":2: field 'a': expected a string but found a number (7)", wrongType.getMessage());

        List<JsonlRecord> records = JsonlReader.readAll(file);
        DataFormatException missing = assertThrows(DataFormatException.class, () -> records.get(2).requireString("a"));
        assertEquals(file + ":3: field 'a': missing required field", missing.getMessage());

        assertEquals("3", records.get(0).requireScalarText("n"));
        assertTrue(records.get(2).optionalString("a").isEmpty());
        assertThrows(DataFormatException.class, () -> records.get(1).optionalString("a"));
    }

    @Test
    void emptyFileIsAnErrorNamingTheFile() throws IOException {
        Path empty = TestFiles.write(dir, "empty.jsonl", "");
        DataFormatException e = assertThrows(DataFormatException.class, () -> JsonlReader.readAll(empty));
        assertEquals(empty + ": file is empty", e.getMessage());
        assertEquals(DataFormatException.WHOLE_FILE, e.lineNumber());
        assertNull(e.field());

        Path blank = TestFiles.write(dir, "blank.jsonl", "\n  \n\n");
        DataFormatException blankError = assertThrows(DataFormatException.class, () -> JsonlReader.readAll(blank));
        assertTrue(blankError.getMessage().contains("no records"), blankError.getMessage());
    }

    @Test
    void invalidUtf8IsADataFormatError() throws IOException {
        Path file = dir.resolve("latin1.jsonl");
        Files.write(file, new byte[] {'{', '"', 'x', '"', ':', '"', (byte) 0xE9, '"', '}', '\n'});
        DataFormatException e = assertThrows(DataFormatException.class, () -> JsonlReader.readAll(file));
        assertTrue(e.getMessage().contains("not valid UTF-8"), e.getMessage());
    }

    @Test
    void missingFileIsAnIoException() {
        assertThrows(NoSuchFileException.class, () -> JsonlReader.readAll(dir.resolve("nope.jsonl")));
    }

    @Test
    void streamIsLazyAndReportsErrorsWhenReached() throws IOException {
        Path file = TestFiles.write(dir, "lazy.jsonl", "{\"x\":1}\n{\"x\":2}\nnot json\n");
        try (Stream<JsonlRecord> records = JsonlReader.stream(file)) {
            assertEquals(2, records.limit(2).count());
        }
        try (Stream<JsonlRecord> records = JsonlReader.stream(file)) {
            DataFormatException e = assertThrows(DataFormatException.class, () -> records.forEach(r -> { }));
            assertEquals(3, e.lineNumber());
        }
    }

    record Sample(String name, int count) {
    }

    @Test
    void readsRecordsWrittenByTheWriter() throws IOException {
        Path file = dir.resolve("samples.jsonl");
        List<Sample> written = List.of(new Sample("a\nb", 1), new Sample("c", 2));
        JsonlWriter.writeAtomically(file, written);
        assertEquals(written, JsonlReader.readAll(file, Sample.class));
    }

    @Test
    void typedReadingNamesTheOffendingProperty() throws IOException {
        Path unknown = TestFiles.write(dir, "u.jsonl", "{\"name\":\"a\",\"count\":1}\n{\"name\":\"a\",\"count\":1,\"extra\":0}\n");
        DataFormatException e = assertThrows(DataFormatException.class, () -> JsonlReader.readAll(unknown, Sample.class));
        assertEquals(2, e.lineNumber());
        assertEquals("extra", e.field());

        Path mistyped = TestFiles.write(dir, "m.jsonl", "{\"name\":\"a\",\"count\":\"many\"}\n");
        DataFormatException typeError = assertThrows(DataFormatException.class,
                () -> JsonlReader.readAll(mistyped, Sample.class));
        assertEquals("count", typeError.field());

        Path absent = TestFiles.write(dir, "a.jsonl", "{\"name\":\"a\"}\n");
        DataFormatException absentError = assertThrows(DataFormatException.class,
                () -> JsonlReader.readAll(absent, Sample.class));
        assertEquals("count", absentError.field());
    }

    @Test
    void constructorValidationOfTheTargetTypeBecomesADataFormatError() throws IOException {
        Path file = TestFiles.write(dir, "q.jsonl",
                "{\"id\":\" \",\"prompt\":\"p\",\"goldAnswer\":\"1\",\"goldChain\":null,\"choices\":[]}\n");
        DataFormatException e = assertThrows(DataFormatException.class, () -> JsonlReader.readAll(file, Question.class));
        assertEquals(1, e.lineNumber());
        assertTrue(e.getMessage().contains("id must not be blank"), e.getMessage());
    }

    @Test
    void readingLeavesTheFileUntouched() throws IOException {
        String content = "{\"x\":1}\nbroken\n";
        Path file = TestFiles.write(dir, "keep.jsonl", content);
        assertThrows(DataFormatException.class, () -> JsonlReader.readAll(file));
        assertEquals(content, Files.readString(file));
    }
}
