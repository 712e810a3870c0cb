package io.github.rpo4j.examples;

import io.github.rpo4j.data.DataFormatException;
import io.github.rpo4j.data.NumericAnswerExtractor;
import io.github.rpo4j.data.Question;
import io.github.rpo4j.data.QuestionLoaders;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;

/** --questions FILE with its --format, shared by the commands that read questions. */
final class QuestionFileOptions {

    private static final Logger LOG = LoggerFactory.getLogger(QuestionFileOptions.class);

    /** The question file layouts rpo4j reads; auto tells them apart by the first record's fields. */
    enum Format { auto, generic, gsm8k, choice }

    static final String FORMAT_DESCRIPTION = "Layout of the question files: auto (from the first record's fields: "
            + "prompt -> generic, question -> gsm8k, choices -> choice; the choice is logged), generic "
            + "(prompt, answer[, chain, id]), gsm8k (question, answer ending in '#### N') or choice (ARC-style) "
            + "(default: ${DEFAULT-VALUE}).";

    @Option(names = "--questions", required = true, paramLabel = "FILE", description = "JSONL question file.")
    Path file;

    @Option(names = "--format", defaultValue = "auto", description = FORMAT_DESCRIPTION)
    Format format;

    List<Question> load() throws IOException {
        return load(file, format, "--questions");
    }

    /**
     * Loads a question file. With {@code auto} the layout is detected from the first record and logged; with an
     * explicit layout that does not fit, the error says which layout the file looks like.
     *
     * @param flag the option that named the file, for messages
     */
    static List<Question> load(Path file, Format format, String flag) throws IOException {
        QuestionLoaders.Format layout;
        if (format == Format.auto) {
            layout = QuestionLoaders.detectFormat(file);
            LOG.info("{} {}: read as --format {} (detected from its first record; --format overrides)", flag, file,
                    layout.name().toLowerCase(Locale.ROOT));
        } else {
            layout = QuestionLoaders.Format.valueOf(format.name().toUpperCase(Locale.ROOT));
        }
        List<Question> questions;
        try {
            questions = QuestionLoaders.load(file, layout);
        } catch (DataFormatException e) {
            String hint = "";
            if (format != Format.auto) {
                try {
                    QuestionLoaders.Format looks = QuestionLoaders.detectFormat(file);
                    if (looks != layout) {
                        hint = "; the file looks like --format " + looks.name().toLowerCase(Locale.ROOT)
                                + " (or leave --format out to detect it)";
                    }
                } catch (DataFormatException ignored) {
                    // no better guess than the error itself
                }
            }
            throw new DataFormatException(e.file(), e.lineNumber(), e.field(), e.problem() + hint, e);
        }
        warnAboutNonNumericAnswers(questions, file, flag);
        return questions;
    }

    /** The numeric verifier compares numbers: a free-answer question whose gold answer is not one can never pass. */
    static void warnAboutNonNumericAnswers(List<Question> questions, Path file, String flag) {
        List<String> ids = new ArrayList<>();
        for (Question q : questions) {
            if (!q.hasChoices() && NumericAnswerExtractor.normalizeNumber(q.goldAnswer()).isEmpty()) {
                ids.add(q.id());
            }
        }
        if (!ids.isEmpty()) {
            Question first = questions.stream().filter(q -> q.id().equals(ids.get(0))).findFirst().orElseThrow();
            LOG.warn("{} {}: {} question(s) have a gold answer that is not a number (first: question {} with answer "
                    + "\"{}\"); the numeric verifier can never judge them correct: write the answer as digits",
                    flag, file, ids.size(), first.id(), first.goldAnswer());
        }
    }
}
