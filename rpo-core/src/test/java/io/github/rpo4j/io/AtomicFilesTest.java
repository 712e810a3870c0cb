package io.github.rpo4j.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AtomicFilesTest {

    @TempDir
    Path dir;

    private List<String> listing() throws IOException {
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void writesAndReplacesFiles() throws IOException {
        Path file = dir.resolve("notes.txt");
        AtomicFiles.writeString(file, "first");
        assertEquals("first", Files.readString(file));
        AtomicFiles.writeBytes(file, "second ✓".getBytes(StandardCharsets.UTF_8));
        assertEquals("second ✓", Files.readString(file));
        AtomicFiles.write(file, out -> {
            out.write("third".getBytes(StandardCharsets.US_ASCII));
            out.close(); // a callback closing its stream must not cut the write short
        });
        assertEquals("third", Files.readString(file));
        assertEquals(List.of("notes.txt"), listing());
    }

    @Test
    void writesPrettyJson() throws IOException {
        Path file = dir.resolve("config.json");
        AtomicFiles.writeJson(file, Map.of("n_layer", 2));
        String json = Files.readString(file);
        assertTrue(json.contains("\"n_layer\" : 2"), json);
        assertTrue(json.contains("\n"), "indented");
    }

    @Test
    void failingCallbackLeavesOldContentAndNoTemporaryFile() throws IOException {
        Path file = dir.resolve("state.bin");
        AtomicFiles.writeString(file, "precious");
        IOException failure = assertThrows(IOException.class, () -> AtomicFiles.write(file, out -> {
            out.write(new byte[100_000]); // more than the buffer, so bytes really reach the temporary file
            throw new IOException("disk full");
        }));
        assertEquals("disk full", failure.getMessage());
        assertEquals("precious", Files.readString(file));
        assertEquals(List.of("state.bin"), listing());

        assertThrows(IOException.class, () -> AtomicFiles.writeJson(file, new Object()),
                "an unserialisable value fails before anything is written");
        assertEquals("precious", Files.readString(file));
    }

    @Test
    void publishesAndReplacesDirectories() throws IOException {
        Path checkpoint = dir.resolve("step-100");
        AtomicFiles.publishDirectory(checkpoint, tmp -> {
            AtomicFiles.writeString(tmp.resolve("config.json"), "{}");
            Files.createDirectory(tmp.resolve("extra"));
            Files.writeString(tmp.resolve("extra/a.txt"), "a");
            assertTrue(tmp.resolve("extra/a.txt").toFile().setReadOnly(), "read-only files can still be synced");
        });
        assertEquals("{}", Files.readString(checkpoint.resolve("config.json")));
        assertEquals("a", Files.readString(checkpoint.resolve("extra/a.txt")));

        AtomicFiles.publishDirectory(checkpoint, tmp -> Files.writeString(tmp.resolve("model.safetensors"), "new"));
        assertEquals("new", Files.readString(checkpoint.resolve("model.safetensors")));
        assertFalse(Files.exists(checkpoint.resolve("config.json")), "the old directory was replaced, not merged");
        assertEquals(List.of("step-100"), listing(), "neither the temporary nor the old directory remains");
    }

    @Test
    void failedDirectoryPublishKeepsPreviousVersion() throws IOException {
        Path checkpoint = dir.resolve("latest");
        AtomicFiles.publishDirectory(checkpoint, tmp -> Files.writeString(tmp.resolve("model.safetensors"), "good"));
        assertThrows(IOException.class, () -> AtomicFiles.publishDirectory(checkpoint, tmp -> {
            Files.writeString(tmp.resolve("model.safetensors"), "half-written");
            throw new IOException("interrupted");
        }));
        assertEquals("good", Files.readString(checkpoint.resolve("model.safetensors")));
        assertEquals(List.of("latest"), listing());

        Path plainFile = dir.resolve("file");
        Files.writeString(plainFile, "x");
        assertThrows(IOException.class, () -> AtomicFiles.publishDirectory(plainFile, tmp -> { }));
        assertEquals("x", Files.readString(plainFile));
    }
}
