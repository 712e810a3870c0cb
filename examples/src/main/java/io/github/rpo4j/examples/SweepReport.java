package io.github.rpo4j.examples;

import io.github.rpo4j.iterate.RunResult;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A learning-rate sweep: for every method and rate, greedy accuracy on the validation problems after one
 * iteration, and the rate chosen by the rule fixed before the sweep ran: the highest validation accuracy, ties
 * going to the smaller rate.
 */
final class SweepReport {

    private final List<String> methods;
    private final List<Double> rates;
    /** method -> rate -> the run's metrics after iteration 1. */
    private final Map<String, Map<Double, Map<String, Object>>> after;
    private final double m0Accuracy;

    private SweepReport(List<String> methods, List<Double> rates, Map<String, Map<Double, Map<String, Object>>> after,
                        double m0Accuracy) {
        this.methods = methods;
        this.rates = rates;
        this.after = after;
        this.m0Accuracy = m0Accuracy;
    }

    static SweepReport of(Map<AblateCommand.RunSpec, RunResult> results, List<String> methods, List<Double> rates) {
        Map<String, Map<Double, Map<String, Object>>> after = new LinkedHashMap<>();
        double m0 = Double.NaN;
        for (Map.Entry<AblateCommand.RunSpec, RunResult> e : results.entrySet()) {
            List<Map<String, Object>> its = e.getValue().iterations();
            m0 = number(its.get(0), "test_accuracy");
            after.computeIfAbsent(e.getKey().method(), k -> new LinkedHashMap<>()).put(e.getKey().lr(), its.get(1));
        }
        return new SweepReport(methods, rates.stream().sorted().toList(), after, m0);
    }

    /** The rule: best validation accuracy after one iteration; the smaller rate wins a tie. */
    double chosenRate(String method) {
        double best = Double.NEGATIVE_INFINITY;
        double chosen = Double.NaN;
        for (double rate : rates) { // ascending, so a tie keeps the smaller rate
            double acc = number(after.get(method).get(rate), "test_accuracy");
            if (acc > best) {
                best = acc;
                chosen = rate;
            }
        }
        return chosen;
    }

    Map<String, Object> toJson() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("rule", "highest greedy accuracy on the validation problems after one iteration; ties to the smaller rate");
        root.put("m0_validation_accuracy", m0Accuracy);
        Map<String, Object> byMethod = new LinkedHashMap<>();
        for (String method : methods) {
            Map<String, Object> m = new LinkedHashMap<>();
            Map<String, Object> perRate = new LinkedHashMap<>();
            for (double rate : rates) {
                perRate.put(Double.toString(rate), after.get(method).get(rate));
            }
            m.put("after_iteration_1", perRate);
            m.put("chosen_rate", chosenRate(method));
            byMethod.put(method, m);
        }
        root.put("methods", byMethod);
        return root;
    }

    String markdown(AblateCommand.Sizes sizes, int validationQuestions) {
        StringBuilder md = new StringBuilder("# Learning-rate sweep\n\n");
        md.append(String.format(Locale.ROOT, "One iteration per method and rate, seed 0, %d pool problems, greedy "
                        + "accuracy in %% on %d validation problems (M0: %.1f). Rule, fixed before the sweep: the "
                        + "highest validation accuracy, ties to the smaller rate.%n%n", sizes.pool(),
                validationQuestions, 100 * m0Accuracy));
        md.append("| method |");
        rates.forEach(r -> md.append(" ").append(r).append(" |"));
        md.append(" chosen |\n|---|");
        rates.forEach(r -> md.append("---|"));
        md.append("---|\n");
        for (String method : methods) {
            md.append("| ").append(method).append(" |");
            for (double rate : rates) {
                md.append(String.format(Locale.ROOT, " %.1f |", 100 * number(after.get(method).get(rate), "test_accuracy")));
            }
            md.append(" ").append(chosenRate(method)).append(" |\n");
        }
        md.append("\nDiagnostics after iteration 1 (pool samples of M0 are shared by all runs; log-probs of the probe "
                + "pairs summed over the completion, before -> after training):\n\n");
        md.append("| method | rate | trained on | logps/chosen | logps/rejected |\n|---|---|---|---|---|\n");
        for (String method : methods) {
            for (double rate : rates) {
                Map<String, Object> m = after.get(method).get(rate);
                md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s |%n", method, rate,
                        trainedOn(m), beforeAfter(m, "logps/chosen"), beforeAfter(m, "logps/rejected")));
            }
        }
        return md.toString();
    }

    /** What the iteration trained on: pairs, kept samples or turns (RISE), or rollouts (SCoRe). */
    static String trainedOn(Map<String, Object> m) {
        if (m.get("train_pairs") instanceof Number n) {
            return n + " pairs";
        }
        if (m.get("train_examples") instanceof Number n) {
            return n + " examples";
        }
        if (m.get("samples") instanceof Number n) {
            return n + " rollouts";
        }
        return "-";
    }

    static String beforeAfter(Map<String, Object> m, String key) {
        Object before = m.get(key + "_before");
        Object after = m.get(key + "_after");
        if (!(before instanceof Number b) || !(after instanceof Number a)) {
            return "-";
        }
        return String.format(Locale.ROOT, "%.2f -> %.2f", b.doubleValue(), a.doubleValue());
    }

    private static double number(Map<String, Object> m, String key) {
        Object v = m == null ? null : m.get(key);
        return v instanceof Number n ? n.doubleValue() : Double.NaN;
    }
}
