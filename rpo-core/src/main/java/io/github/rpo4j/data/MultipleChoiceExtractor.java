package io.github.rpo4j.data;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Extracts a choice label from the <em>last</em> answer statement of a completion. Recognised forms
 * (statement words in any letter case): {@code "The answer is (B)"}, {@code "The answer is B"},
 * {@code "Answer: B"}, {@code "The answer is: B"}.
 *
 * <p>A label is one letter or one digit 1-9. Without parentheses the letter must be upper case and must
 * not be followed by another letter or digit, so that {@code "The answer is a magnet"} and
 * {@code "The answer is Because..."} give no answer rather than "A" or "B". Inside parentheses a lower-case
 * letter is accepted and upper-cased.
 *
 * <p>As with {@link NumericAnswerExtractor}, only the last statement counts; if it names no label there
 * is no answer.
 */
public final class MultipleChoiceExtractor implements AnswerExtractor {

    private static final Pattern MARKER = Pattern.compile("(?i)the\\s+answer\\s+is|\\banswer\\s*:");

    private static final Pattern LABEL_AFTER_MARKER =
            Pattern.compile("\\s*:?\\s*(?:\\(([A-Za-z1-9])\\)|([A-Z1-9])(?![A-Za-z0-9]))");

    @Override
    public Optional<String> extract(String completion) {
        Optional<Matcher> foundLabel = AnswerExtractor.matchAfterLastMarker(completion, MARKER, LABEL_AFTER_MARKER);
        if (foundLabel.isEmpty()) {
            return Optional.empty();
        }
        Matcher label = foundLabel.get();
        String found = label.group(1) != null ? label.group(1) : label.group(2);
        return Optional.of(found.toUpperCase(Locale.ROOT));
    }

    /** Gold labels compare without regard to case or surrounding whitespace. */
    @Override
    public String normalize(String answer) {
        return answer.strip().toUpperCase(Locale.ROOT);
    }
}
