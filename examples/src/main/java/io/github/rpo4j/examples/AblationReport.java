package io.github.rpo4j.examples;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.rpo4j.iterate.RunResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The numbers of an ablation: per method and iteration the greedy and majority-vote accuracy over seeds,
 * each method's final model against RPO's (McNemar's exact test on per-question greedy correctness, pooled
 * over seeds, and a paired t-test of the seeds' accuracies), RISE's and SCoRe's turn metrics, and the
 * chosen completions' log-probs over DPO-only's and RPO's training.
 */
final class AblationReport {

    /** Significance level of the tests against RPO. */
    static final double LEVEL = 0.05;

    private final Map<String, List<RunResult>> runs;
    private final int testQuestions;
    private final Map<String, double[]> chosenLogps;
    private final Map<String, Double> learningRates;

    private AblationReport(Map<String, List<RunResult>> runs, int testQuestions, Map<String, double[]> chosenLogps,
                           Map<String, Double> learningRates) {
        this.runs = runs;
        this.testQuestions = testQuestions;
        this.chosenLogps = chosenLogps;
        this.learningRates = learningRates;
    }

    /**
     * @param runs          per method (RPO first), one result per seed in seed order
     * @param learningRates each method's peak learning rate
     */
    static AblationReport of(Map<String, List<RunResult>> runs, int testQuestions, Map<String, Double> learningRates)
            throws IOException {
        Map<String, double[]> chosen = new LinkedHashMap<>();
        for (String method : List.of("DPO", "RPO")) {
            if (runs.containsKey(method)) {
                chosen.put(method, meanChosenLogps(runs.get(method)));
            }
        }
        return new AblationReport(runs, testQuestions, chosen, learningRates);
    }

    /** Per-iteration diagnostics of metrics.jsonl shown in the report, mean over seeds. */
    static final List<String> DIAGNOSTICS = List.of("sample_accuracy", "pass_at_n", "distinct_samples_per_question",
            "winners_equal_gold_chain", "winners_all_steps_correct", "train_pairs", "logps/chosen_before",
            "logps/chosen_after", "logps/rejected_before", "logps/rejected_after");

    /** A metric's mean over the seeds at an iteration, NaN where a seed lacks it. */
    private double meanOver(String method, int iteration, String key) {
        double sum = 0;
        List<RunResult> seeds = runs.get(method);
        for (RunResult r : seeds) {
            Object v = r.iterations().get(iteration).get(key);
            if (!(v instanceof Number n)) {
                return Double.NaN;
            }
            sum += n.doubleValue();
        }
        return sum / seeds.size();
    }

    List<String> methods() {
        return List.copyOf(runs.keySet());
    }

    Map<String, double[]> chosenLogps() {
        return chosenLogps;
    }

    private int iterations(String method) {
        return runs.get(method).stream().mapToInt(r -> r.iterations().size()).min().orElse(0);
    }

    private double[] perSeed(String method, int iteration, String key) {
        List<RunResult> seeds = runs.get(method);
        double[] v = new double[seeds.size()];
        for (int s = 0; s < v.length; s++) {
            v[s] = ((Number) seeds.get(s).iterations().get(iteration).get(key)).doubleValue();
        }
        return v;
    }

    private List<AblationStatistics.MeanInterval> series(String method, String key) {
        List<AblationStatistics.MeanInterval> out = new ArrayList<>();
        for (int t = 0; t < iterations(method); t++) {
            out.add(AblationStatistics.meanInterval(perSeed(method, t, key)));
        }
        return out;
    }

    List<AblationStatistics.MeanInterval> greedy(String method) {
        return series(method, "test_accuracy");
    }

    List<AblationStatistics.MeanInterval> majority(String method) {
        return series(method, "maj_at_k_accuracy");
    }

    /**
     * A method's final model against a baseline (RPO's final model, or the method's own M0), per question:
     * {@code onlyBaselineRight} questions only the baseline answers right, {@code onlyMethodRight} only the method.
     */
    record Comparison(int onlyBaselineRight, int onlyMethodRight, double mcnemarP, double pairedTP, boolean significant) {
    }

    Comparison againstRpo(String method) {
        List<RunResult> rpo = runs.get("RPO");
        List<RunResult> other = runs.get(method);
        int onlyRpo = 0;
        int onlyOther = 0;
        for (int s = 0; s < rpo.size(); s++) {
            boolean[] a = correctness(last(rpo.get(s)).get("greedy_correct"));
            boolean[] b = correctness(last(other.get(s)).get("greedy_correct"));
            for (int i = 0; i < a.length; i++) {
                onlyRpo += a[i] && !b[i] ? 1 : 0;
                onlyOther += !a[i] && b[i] ? 1 : 0;
            }
        }
        double p = AblationStatistics.mcnemarExactP(onlyRpo, onlyOther);
        double t = AblationStatistics.pairedTTestP(perSeed("RPO", iterations("RPO") - 1, "test_accuracy"),
                perSeed(method, iterations(method) - 1, "test_accuracy"));
        return new Comparison(onlyRpo, onlyOther, p, t, p < LEVEL);
    }

    /** A method's final iteration against its own iteration 0 (M0), per question, pooled over seeds. */
    Comparison againstStart(String method) {
        int onlyStart = 0;
        int onlyFinal = 0;
        for (RunResult r : runs.get(method)) {
            boolean[] a = correctness(r.iterations().get(0).get("greedy_correct"));
            boolean[] b = correctness(last(r).get("greedy_correct"));
            for (int i = 0; i < a.length; i++) {
                onlyStart += a[i] && !b[i] ? 1 : 0;
                onlyFinal += !a[i] && b[i] ? 1 : 0;
            }
        }
        double p = AblationStatistics.mcnemarExactP(onlyStart, onlyFinal);
        return new Comparison(onlyStart, onlyFinal, p, Double.NaN, p < LEVEL);
    }

    private static Map<String, Object> last(RunResult r) {
        return r.iterations().get(r.iterations().size() - 1);
    }

    /** Per-question correctness as kept in memory (boolean[]) or read back from eval.json (a list). */
    static boolean[] correctness(Object value) {
        if (value instanceof boolean[] b) {
            return b;
        }
        if (value instanceof List<?> list) {
            boolean[] out = new boolean[list.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = Boolean.TRUE.equals(list.get(i));
            }
            return out;
        }
        throw new IllegalStateException("an evaluation has no per-question greedy correctness");
    }

    /** A final-iteration metric of a method, mean over seeds (a list metric element-wise). */
    private Object finalMean(String method, String key) {
        List<RunResult> seeds = runs.get(method);
        Object first = last(seeds.get(0)).get(key);
        if (first instanceof List<?> l) {
            double[] mean = new double[l.size()];
            for (RunResult r : seeds) {
                List<?> v = (List<?>) last(r).get(key);
                for (int i = 0; i < mean.length; i++) {
                    mean[i] += ((Number) v.get(i)).doubleValue() / seeds.size();
                }
            }
            return mean;
        }
        return AblationStatistics.meanInterval(perSeed(method, iterations(method) - 1, key)).mean();
    }

    /** logps/chosen of every training step, iterations one after another, mean over seeds (shortest seed's length). */
    static double[] meanChosenLogps(List<RunResult> seeds) throws IOException {
        List<List<Double>> perSeed = new ArrayList<>();
        for (RunResult r : seeds) {
            List<Double> steps = new ArrayList<>();
            for (int t = 1; t < r.iterations().size(); t++) {
                Path train = r.runDirectory().resolve("iter-" + t).resolve("train.json");
                if (!Files.exists(train)) {
                    continue;
                }
                for (JsonNode step : Rpo4jCli.JSON.readTree(train.toFile()).path("history")) {
                    if (step.has("logps/chosen")) {
                        steps.add(step.get("logps/chosen").asDouble());
                    }
                }
            }
            perSeed.add(steps);
        }
        int n = perSeed.stream().mapToInt(List::size).min().orElse(0);
        double[] mean = new double[n];
        for (List<Double> steps : perSeed) {
            for (int i = 0; i < n; i++) {
                mean[i] += steps.get(i) / perSeed.size();
            }
        }
        return mean;
    }

    Map<String, Object> toJson(AblateCommand.Sizes sizes, int seeds) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("seeds", seeds);
        root.put("test_questions", testQuestions);
        root.put("sizes", sizes);
        root.put("significance_level", LEVEL);
        Map<String, Object> methods = new LinkedHashMap<>();
        for (String method : methods()) {
            Map<String, Object> m = new LinkedHashMap<>();
            List<Map<String, Object>> its = new ArrayList<>();
            List<AblationStatistics.MeanInterval> g = greedy(method);
            List<AblationStatistics.MeanInterval> mj = majority(method);
            for (int t = 0; t < g.size(); t++) {
                Map<String, Object> it = new LinkedHashMap<>();
                it.put("iteration", t);
                it.put("greedy", interval(g.get(t), perSeed(method, t, "test_accuracy")));
                it.put("majority", interval(mj.get(t), perSeed(method, t, "maj_at_k_accuracy")));
                for (String key : DIAGNOSTICS) {
                    double v = meanOver(method, t, key);
                    it.put(key, Double.isNaN(v) ? null : v);
                }
                its.add(it);
            }
            m.put("iterations", its);
            m.put("learning_rate", learningRates.get(method));
            Comparison start = againstStart(method);
            Map<String, Object> vsM0 = new LinkedHashMap<>();
            vsM0.put("only_m0_right", start.onlyBaselineRight());
            vsM0.put("only_final_right", start.onlyMethodRight());
            vsM0.put("mcnemar_exact_p", start.mcnemarP());
            m.put("vs_m0", vsM0);
            if (!method.equals("RPO") && runs.containsKey("RPO")) {
                Comparison c = againstRpo(method);
                Map<String, Object> vs = new LinkedHashMap<>();
                vs.put("only_rpo_right", c.onlyBaselineRight());
                vs.put("only_method_right", c.onlyMethodRight());
                vs.put("mcnemar_exact_p", c.mcnemarP());
                vs.put("paired_t_p", Double.isNaN(c.pairedTP()) ? null : c.pairedTP());
                vs.put("significant", c.significant());
                m.put("vs_rpo", vs);
            }
            if (method.equals("RISE")) {
                m.put("final_turn_accuracy", finalMean(method, "turn_accuracy"));
                m.put("final_oracle_turn_accuracy", finalMean(method, "oracle_turn_accuracy"));
                m.put("final_maj_over_turns_accuracy", finalMean(method, "maj_over_turns_accuracy"));
            }
            if (method.equals("SCORE")) {
                for (String key : List.of("acc_t1", "acc_t2", "delta_t1_t2", "delta_i_to_c", "delta_c_to_i")) {
                    m.put("final_" + key, finalMean(method, key));
                }
            }
            methods.put(method, m);
        }
        root.put("methods", methods);
        root.put("chosen_logps", chosenLogps);
        return root;
    }

    private static Map<String, Object> interval(AblationStatistics.MeanInterval mi, double[] seeds) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mean", mi.mean());
        m.put("ci95", Double.isNaN(mi.lower()) ? null : new double[] {mi.lower(), mi.upper()});
        m.put("per_seed", seeds);
        return m;
    }

    String markdown(AblateCommand.Sizes sizes, int seeds) {
        StringBuilder md = new StringBuilder();
        md.append("# Ablation on the synthetic arithmetic task\n\n");
        boolean majority = sizes.majorityK() > 0;
        md.append(String.format(Locale.ROOT, "%d seed(s), %d test questions, %d pool questions, %d iteration(s), "
                        + "at most %d sampled chains per question and iteration. Accuracy in %%: mean over seeds "
                        + "[95%% t-interval]%s.%n%n", seeds, testQuestions, sizes.pool(), sizes.iterations(),
                sizes.chains(), majority ? String.format(Locale.ROOT, "; maj@%d is the majority vote over %d samples",
                        sizes.majorityK(), sizes.majorityK()) : "; no majority vote was taken"));
        md.append("| method | learning rate | iteration | greedy |").append(majority ? " maj@" + sizes.majorityK() + " |" : "")
                .append("\n|---|---|---|---|").append(majority ? "---|" : "").append("\n");
        for (String method : methods()) {
            List<AblationStatistics.MeanInterval> g = greedy(method);
            List<AblationStatistics.MeanInterval> mj = majority(method);
            for (int t = 0; t < g.size(); t++) {
                md.append("| ").append(method).append(" | ").append(learningRates.get(method)).append(" | ").append(t)
                        .append(" | ").append(cell(g.get(t))).append(" |")
                        .append(majority ? " " + cell(mj.get(t)) + " |" : "").append("\n");
            }
        }
        md.append("\n## Final iteration against M0 (greedy)\n\n");
        md.append("McNemar's exact test on per-question correctness pooled over seeds (b: only M0 right, c: only the "
                + "method's final model right).\n\n| method | M0 | final | b | c | McNemar p |\n|---|---|---|---|---|---|\n");
        for (String method : methods()) {
            Comparison c = againstStart(method);
            List<AblationStatistics.MeanInterval> g = greedy(method);
            md.append(String.format(Locale.ROOT, "| %s | %.1f | %.1f | %d | %d | %.4f |%n", method,
                    100 * g.get(0).mean(), 100 * g.get(g.size() - 1).mean(), c.onlyBaselineRight(), c.onlyMethodRight(),
                    c.mcnemarP()));
        }
        md.append("\n## Diagnostics per iteration (mean over seeds)\n\n");
        md.append("Samples of the pool drawn from the model that iteration starts from; winners are correct samples; "
                + "log-probs are summed over the completion, on a probe of one pair per question, under the model "
                + "before and after the iteration's training.\n\n");
        md.append("| method | iteration | sample acc | pass@N | distinct/question | winners = gold chain | winners with "
                + "sound steps | pairs or kept | logps/chosen before -> after | logps/rejected before -> after |\n"
                + "|---|---|---|---|---|---|---|---|---|---|\n");
        for (String method : methods()) {
            for (int t = 1; t < iterations(method); t++) {
                md.append(String.format(Locale.ROOT, "| %s | %d | %s | %s | %s | %s | %s | %s | %s -> %s | %s -> %s |%n",
                        method, t, pct(meanOver(method, t, "sample_accuracy")), pct(meanOver(method, t, "pass_at_n")),
                        num(meanOver(method, t, "distinct_samples_per_question")),
                        pct(meanOver(method, t, "winners_equal_gold_chain")),
                        pct(meanOver(method, t, "winners_all_steps_correct")), num(meanOver(method, t, "train_pairs")),
                        num(meanOver(method, t, "logps/chosen_before")), num(meanOver(method, t, "logps/chosen_after")),
                        num(meanOver(method, t, "logps/rejected_before")),
                        num(meanOver(method, t, "logps/rejected_after"))));
            }
        }
        if (runs.containsKey("RPO")) {
            md.append("\n## Against RPO (final iteration, greedy)\n\n");
            md.append("McNemar's exact test on per-question correctness pooled over seeds (b: only RPO right, c: only "
                    + "the method right); paired t-test over the seeds' accuracies; significant when McNemar's p < ")
                    .append(LEVEL).append(".\n\n");
            md.append("| method | b | c | McNemar p | paired t p | significant |\n|---|---|---|---|---|---|\n");
            for (String method : methods()) {
                if (method.equals("RPO")) {
                    continue;
                }
                Comparison c = againstRpo(method);
                md.append(String.format(Locale.ROOT, "| %s | %d | %d | %.4f | %s | %s |%n", method, c.onlyBaselineRight(),
                        c.onlyMethodRight(), c.mcnemarP(), Double.isNaN(c.pairedTP()) ? "-"
                                : String.format(Locale.ROOT, "%.4f", c.pairedTP()), c.significant() ? "yes" : "no"));
            }
        }
        if (runs.containsKey("RISE")) {
            md.append("\n## RISE turns (final iteration, mean over seeds)\n\n");
            double[] perTurn = (double[]) finalMean("RISE", "turn_accuracy");
            double[] oracle = (double[]) finalMean("RISE", "oracle_turn_accuracy");
            md.append("| turn | without oracle | with oracle (p1@t) |\n|---|---|---|\n");
            for (int t = 0; t < perTurn.length; t++) {
                md.append(String.format(Locale.ROOT, "| %d | %.1f | %.1f |%n", t + 1, 100 * perTurn[t], 100 * oracle[t]));
            }
            md.append(String.format(Locale.ROOT, "%nMajority vote over the turns: %.1f%n",
                    100 * (double) finalMean("RISE", "maj_over_turns_accuracy")));
        }
        if (runs.containsKey("SCORE")) {
            md.append("\n## SCoRe (final iteration, mean over seeds)\n\n");
            md.append("| Acc@t1 | Acc@t2 | delta(t1,t2) | delta i->c | delta c->i |\n|---|---|---|---|---|\n");
            md.append(String.format(Locale.ROOT, "| %.1f | %.1f | %.1f | %.1f | %.1f |%n",
                    100 * (double) finalMean("SCORE", "acc_t1"), 100 * (double) finalMean("SCORE", "acc_t2"),
                    100 * (double) finalMean("SCORE", "delta_t1_t2"), 100 * (double) finalMean("SCORE", "delta_i_to_c"),
                    100 * (double) finalMean("SCORE", "delta_c_to_i")));
        }
        return md.toString();
    }

    private static String pct(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f", 100 * v);
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String cell(AblationStatistics.MeanInterval mi) {
        if (Double.isNaN(mi.lower())) {
            return String.format(Locale.ROOT, "%.1f", 100 * mi.mean());
        }
        return String.format(Locale.ROOT, "%.1f [%.1f, %.1f]", 100 * mi.mean(), 100 * mi.lower(), 100 * mi.upper());
    }
}
