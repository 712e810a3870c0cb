package io.github.rpo4j.data;

import java.util.Optional;

/**
 * Pulls the final answer out of a model completion.
 *
 * <p>An extractor also defines how answers of its kind are normalised, so that an extracted answer and a
 * gold answer written differently ({@code "1,234.0"} and {@code "1234"}) can be compared as strings; see
 * {@link Verifiers#fromExtractor(AnswerExtractor)}.
 */
@FunctionalInterface
public interface AnswerExtractor {

    /**
     * The completion's final answer in normalised form, or empty when the completion states none that
     * this extractor recognises.
     */
    Optional<String> extract(String completion);

    /**
     * Brings a reference answer into the form {@link #extract} returns. The default strips surrounding
     * whitespace; extractors with a stricter notion of equality override it.
     */
    default String normalize(String answer) {
        return answer.strip();
    }

    /**
     * The match of {@code value} starting right after the last match of {@code marker} in the completion
     * (the answer statement a model wrote last wins), or empty when there is no marker or no value after it.
     */
    static Optional<java.util.regex.Matcher> matchAfterLastMarker(String completion, java.util.regex.Pattern marker,
                                                                 java.util.regex.Pattern value) {
        if (completion == null) {
            return Optional.empty();
        }
        java.util.regex.Matcher m = marker.matcher(completion);
        int lastMarkerEnd = -1;
        while (m.find()) {
            lastMarkerEnd = m.end();
        }
        if (lastMarkerEnd < 0) {
            return Optional.empty();
        }
        java.util.regex.Matcher v = value.matcher(completion);
        v.region(lastMarkerEnd, completion.length());
        return v.lookingAt() ? Optional.of(v) : Optional.empty();
    }
}
