package io.github.rpo4j.data;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Helpers shared by the data tests. */
final class TestFiles {

    private TestFiles() {
    }

    /** Writes {@code content} as UTF-8 to {@code dir/name} and returns the path. */
    static Path write(Path dir, String name, String content) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, content, StandardCharsets.UTF_8);
        return file;
    }

    /** A file under src/test/resources/data. */
    static Path resource(String name) {
        try {
            return Path.of(TestFiles.class.getResource("/data/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("missing test resource data/" + name, e);
        }
    }
}
