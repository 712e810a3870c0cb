package io.github.rpo4j.data;

import io.github.rpo4j.FuzzInputs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random, truncated and mutated JSONL files for the reader and every question loader: each is read or
 * rejected with a {@link DataFormatException} (or an {@link IOException}) that has a message, never anything else.
 */
class JsonlFuzzTest {

    private static final List<byte[]> SEEDS = List.of(
            utf8("{\"question\":\"Tom has 3 apples and buys 4. How many?\",\"answer\":\"3+4=<<3+4=7>>7\\n#### 7\"}\n"
                    + "{\"question\":\"What is 1,200 - 1?\",\"answer\":\"#### 1,199\"}\n"),
            utf8("{\"question\":{\"stem\":\"Q?\",\"choices\":[{\"label\":\"A\",\"text\":\"x\"},{\"label\":\"B\","
                    + "\"text\":\"y\"}]},\"answerKey\":\"B\",\"id\":\"arc-1\"}\n"
                    + "{\"question\":\"Q2?\",\"choices\":{\"label\":[\"A\",\"B\"],\"text\":[\"x\",\"y\"]},\"answerKey\":\"A\"}\n"),
            utf8("{\"prompt\":\"p\",\"answer\":\"42\",\"id\":7}\n\n{\"prompt\":\"r\",\"answer\":-1.5,\"chain\":\"c\"}\n"));

    @TempDir
    Path dir;

    @Test
    void everyLoaderReadsOrRejectsMutatedFilesWithADocumentedError() {
        FuzzInputs fuzz = new FuzzInputs(20240521L);
        fuzz.run(FuzzInputs.cases(400), Duration.ofSeconds(60 + FuzzInputs.cases(400) / 20), SEEDS, JsonlFuzzTest::mutateOneLine, input -> {
            Path file = dir.resolve("case.jsonl");
            Files.write(file, input);
            JsonlReader.readAll(file);
            for (Loader loader : List.<Loader>of(QuestionLoaders::gsm8k, QuestionLoaders::multipleChoice,
                    QuestionLoaders::generic)) {
                try {
                    loader.load(file);
                } catch (DataFormatException expected) {
                    // each loader rejects the others' layouts; only the kind of failure matters here
                    if (expected.getMessage() == null || !expected.getMessage().startsWith(file.toString())) {
                        throw new AssertionError("the error does not name the file: " + expected.getMessage(), expected);
                    }
                }
            }
        }, DataFormatException.class, IOException.class);
    }

    @FunctionalInterface
    private interface Loader {
        List<Question> load(Path file) throws IOException;
    }

    /** Replaces one value of one line's object with a random JSON value. */
    private static byte[] mutateOneLine(byte[] seed, FuzzInputs fuzz) throws Exception {
        List<String> lines = new ArrayList<>(Arrays.asList(new String(seed, StandardCharsets.UTF_8).split("\n")));
        lines.removeIf(String::isBlank);
        int i = fuzz.random().nextInt(lines.size());
        lines.set(i, new String(fuzz.mutatedJson(utf8(lines.get(i))), StandardCharsets.UTF_8));
        return utf8(String.join("\n", lines) + "\n");
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
