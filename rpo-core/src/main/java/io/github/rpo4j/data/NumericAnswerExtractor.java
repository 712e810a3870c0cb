package io.github.rpo4j.data;

import java.math.BigDecimal;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Extracts a numeric final answer from the <em>last</em> answer statement of a completion: either
 * {@code "The answer is N"} (any letter case, optionally followed by a colon) or {@code "#### N"}.
 *
 * <p>Only the last statement counts: if it is not followed by a number (e.g. {@code "The answer is
 * twelve."}) there is no answer, even if an earlier statement had one. This keeps a completion from
 * being credited for an answer it went on to revise.
 *
 * <p>Numbers are normalised by {@link #normalizeNumber(String)}: {@code "$1,234.50."} becomes
 * {@code "1234.5"}.
 */
public final class NumericAnswerExtractor implements AnswerExtractor {

    private static final Pattern MARKER = Pattern.compile("(?i)the\\s+answer\\s+is|####");

    /** What may follow a marker: optional colon, spaces, then a number with optional sign, dollar, commas. */
    private static final Pattern NUMBER_AFTER_MARKER =
            Pattern.compile("\\s*:?\\s*(\\$?\\s*[-+]?\\s*\\$?\\d[\\d,]*(?:\\.\\d+)?)");

    private static final Pattern PLAIN_NUMBER = Pattern.compile("-?(?:\\d+(?:\\.\\d*)?|\\.\\d+)");

    @Override
    public Optional<String> extract(String completion) {
        Optional<Matcher> foundNumber = AnswerExtractor.matchAfterLastMarker(completion, MARKER, NUMBER_AFTER_MARKER);
        if (foundNumber.isEmpty()) {
            return Optional.empty();
        }
        Matcher number = foundNumber.get();
        return normalizeNumber(number.group(1));
    }

    /**
     * Normalises numeric text, or reports that it is not a number:
     * <ol>
     *   <li>surrounding whitespace, every {@code "$"}, every {@code ","} and inner spaces are removed;</li>
     *   <li>one trailing {@code "."} is removed ({@code "28."} is a sentence end);</li>
     *   <li>a leading {@code "+"} is removed;</li>
     *   <li>what remains must be an optionally negative decimal number, else the result is empty;</li>
     *   <li>trailing zeros after the decimal point and a then-bare point are removed ({@code "28.00"} →
     *       {@code "28"}, {@code "2.50"} → {@code "2.5"}), leading zeros are removed ({@code "007"} →
     *       {@code "7"}, {@code ".5"} → {@code "0.5"}), and negative zero becomes {@code "0"}.</li>
     * </ol>
     * No exponent notation is ever produced: {@code "1000"} stays {@code "1000"}.
     */
    public static Optional<String> normalizeNumber(String text) {
        if (text == null) {
            return Optional.empty();
        }
        String cleaned = text.strip().replace("$", "").replace(",", "").replace(" ", "");
        if (cleaned.endsWith(".")) {
            cleaned = cleaned.substring(0, cleaned.length() - 1);
        }
        if (cleaned.startsWith("+")) {
            cleaned = cleaned.substring(1);
        }
        if (!PLAIN_NUMBER.matcher(cleaned).matches()) {
            return Optional.empty();
        }
        BigDecimal value = new BigDecimal(cleaned);
        if (value.signum() == 0) {
            return Optional.of("0");
        }
        return Optional.of(value.stripTrailingZeros().toPlainString());
    }

    /** Normalises a gold answer like an extracted one; text that is not a number is only stripped. */
    @Override
    public String normalize(String answer) {
        return normalizeNumber(answer).orElse(answer.strip());
    }
}
