package io.github.rpo4j.examples;

import io.github.rpo4j.data.Question;
import io.github.rpo4j.data.QuestionLoaders;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/** --questions FILE with its --format, shared by the commands that read questions. */
final class QuestionFileOptions {

    /** The question file layouts rpo4j reads. */
    enum Format { generic, gsm8k, choice }

    @Option(names = "--questions", required = true, paramLabel = "FILE", description = "JSONL question file.")
    Path file;

    @Option(names = "--format", defaultValue = "gsm8k", description = "Layout of the question file: generic "
            + "(prompt, answer[, chain, id]), gsm8k (question, answer ending in '#### N') or choice (ARC-style) "
            + "(default: ${DEFAULT-VALUE}).")
    Format format;

    List<Question> load() throws IOException {
        return load(file, format);
    }

    static List<Question> load(Path file, Format format) throws IOException {
        return switch (format) {
            case generic -> QuestionLoaders.generic(file);
            case gsm8k -> QuestionLoaders.gsm8k(file);
            case choice -> QuestionLoaders.multipleChoice(file);
        };
    }
}
