package io.github.rpo4j.iterate;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * One evaluated model's metrics: a typed view of one line of {@code metrics.jsonl} (iteration {@code t}'s
 * {@code iter-t/eval.json} without its per-question lists). The same on a fresh run and on a resumed one, which
 * reads them back from disk.
 *
 * @param iteration                0 for the starting model M0, then 1, 2, ...
 * @param testAccuracy             greedy accuracy on the evaluation questions ({@code test_accuracy})
 * @param testAccuracyCi95         its 95% Wilson interval ({@code test_accuracy_ci95})
 * @param majorityK                samples per evaluation question for the majority vote ({@code k}); 0 when off
 * @param majorityAccuracy         majority-vote accuracy over {@code majorityK} samples ({@code maj_at_k_accuracy});
 *                                 empty when the vote was off
 * @param testQuestions            evaluation questions scored ({@code test_questions})
 * @param sampleAccuracy           fraction of the iteration's training samples judged correct
 *                                 ({@code sample_accuracy}); empty for iteration 0
 * @param trainQuestionsUsed       training questions that contributed pairs or examples ({@code train_questions_used});
 *                                 empty for iteration 0
 * @param trainPairs               preference pairs (or, for the SFT methods, examples) trained on
 *                                 ({@code train_pairs}); empty for iteration 0
 * @param skippedOverlongQuestions questions dropped because their prompt did not fit the context
 * @param seconds                  wall time of the iteration
 * @param numbers                  every numeric metric of the line by its name in metrics.jsonl, the typed ones
 *                                 included; training metrics carry TRL's names ({@code loss},
 *                                 {@code rewards/chosen}, {@code rewards/margins}, {@code rewards/accuracies},
 *                                 {@code logps/chosen}, {@code grad_norm}, {@code lr} (mean over steps),
 *                                 {@code lr_peak}); see {@link #metric(String)}
 */
public record IterationMetrics(int iteration, double testAccuracy, Interval testAccuracyCi95, int majorityK,
                               OptionalDouble majorityAccuracy, int testQuestions, OptionalDouble sampleAccuracy,
                               OptionalInt trainQuestionsUsed, OptionalInt trainPairs, int skippedOverlongQuestions,
                               double seconds, Map<String, Double> numbers) {

    /** A closed interval, e.g. a confidence interval. */
    public record Interval(double low, double high) {
        @Override
        public String toString() {
            return String.format("[%.3f, %.3f]", low, high);
        }
    }

    public IterationMetrics {
        numbers = Collections.unmodifiableMap(new LinkedHashMap<>(numbers));
    }

    /** A numeric metric by its name in metrics.jsonl (e.g. {@code "rewards/margins"}); empty when absent or null. */
    public OptionalDouble metric(String name) {
        Double v = numbers.get(name);
        return v == null ? OptionalDouble.empty() : OptionalDouble.of(v);
    }

    /** Mean training loss of the iteration (empty for iteration 0). */
    public OptionalDouble trainingLoss() {
        return metric("loss");
    }

    /**
     * Reads one metrics object as written to eval.json and metrics.jsonl.
     *
     * @throws IllegalArgumentException if a required field ({@code iteration}, {@code test_accuracy},
     *                                  {@code test_questions}) is missing; the message names it
     */
    public static IterationMetrics fromMap(Map<String, ?> m) {
        int k = optionalNumber(m, "k").map(Number::intValue).orElse(0);
        Object ci = m.get("test_accuracy_ci95");
        Interval interval = null;
        if (ci instanceof List<?> bounds && bounds.size() == 2) {
            interval = new Interval(((Number) bounds.get(0)).doubleValue(), ((Number) bounds.get(1)).doubleValue());
        } else if (ci instanceof double[] bounds && bounds.length == 2) {
            interval = new Interval(bounds[0], bounds[1]);
        }
        Map<String, Double> numbers = new LinkedHashMap<>();
        m.forEach((key, value) -> {
            if (value instanceof Number n) {
                numbers.put(key, n.doubleValue());
            }
        });
        return new IterationMetrics(
                required(m, "iteration").intValue(),
                required(m, "test_accuracy").doubleValue(),
                interval,
                k,
                k > 0 ? optionalDouble(m, "maj_at_k_accuracy") : OptionalDouble.empty(),
                required(m, "test_questions").intValue(),
                optionalDouble(m, "sample_accuracy"),
                optionalInt(m, "train_questions_used"),
                optionalInt(m, "train_pairs"),
                optionalNumber(m, "skipped_overlong_questions").map(Number::intValue).orElse(0),
                optionalNumber(m, "seconds").map(Number::doubleValue).orElse(0.0),
                numbers);
    }

    private static Number required(Map<String, ?> m, String key) {
        return optionalNumber(m, key).orElseThrow(() -> new IllegalArgumentException(
                "metrics: field '" + key + "' is missing or not a number in " + m.keySet()));
    }

    private static java.util.Optional<Number> optionalNumber(Map<String, ?> m, String key) {
        return m.get(key) instanceof Number n ? java.util.Optional.of(n) : java.util.Optional.empty();
    }

    private static OptionalDouble optionalDouble(Map<String, ?> m, String key) {
        return optionalNumber(m, key).map(n -> OptionalDouble.of(n.doubleValue())).orElse(OptionalDouble.empty());
    }

    private static OptionalInt optionalInt(Map<String, ?> m, String key) {
        return optionalNumber(m, key).map(n -> OptionalInt.of(n.intValue())).orElse(OptionalInt.empty());
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder();
        s.append("iteration ").append(iteration).append(": test accuracy ").append(String.format("%.3f", testAccuracy));
        if (testAccuracyCi95 != null) {
            s.append(' ').append(testAccuracyCi95);
        }
        majorityAccuracy.ifPresent(v -> s.append(String.format(", maj@%d %.3f", majorityK, v)));
        sampleAccuracy.ifPresent(v -> s.append(String.format(", sample accuracy %.3f", v)));
        trainPairs.ifPresent(v -> s.append(", ").append(v).append(" pairs"));
        return s.toString();
    }
}
