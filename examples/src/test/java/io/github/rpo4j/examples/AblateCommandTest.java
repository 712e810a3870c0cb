package io.github.rpo4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.rpo4j.data.SyntheticArithmeticTask;
import io.github.rpo4j.model.ModelConfig;
import io.github.rpo4j.model.ModelDirectory;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.text.CharTokenizer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import io.github.rpo4j.iterate.RunResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

class AblateCommandTest {

    @TempDir
    Path tmp;

    /** A random one-layer model over the synthetic task's alphabet, saved as a starting model directory. */
    private Path tinyStartingModel() throws IOException {
        SyntheticArithmeticTask task = new SyntheticArithmeticTask();
        CharTokenizer tokenizer = CharTokenizer.ofAlphabet(task.alphabet());
        ModelConfig c = ModelConfig.gpt2(tokenizer.vocabSize(), 224, 1, 16, 2).withEosTokenId(CharTokenizer.END_OF_TEXT_ID);
        Path m0 = tmp.resolve("m0");
        ModelDirectory.save(m0, TransformerLM.initialize(c, 5, DataType.FLOAT), tokenizer);
        return m0;
    }

    @Test
    void mcnemarAndTIntervalsMatchHandComputedValues() {
        assertEquals(2 * Math.pow(0.5, 6), AblationStatistics.mcnemarExactP(0, 6), 1e-12);
        assertEquals(2 * 11 / 1024.0, AblationStatistics.mcnemarExactP(9, 1), 1e-12);
        assertEquals(1.0, AblationStatistics.mcnemarExactP(3, 3), 1e-12);
        assertEquals(1.0, AblationStatistics.mcnemarExactP(0, 0), 1e-12);
        // Values 1, 2, 3: mean 2, sd 1, t(0.975, 2) = 4.302653; half-width 4.302653 / sqrt(3).
        AblationStatistics.MeanInterval mi = AblationStatistics.meanInterval(new double[] {1, 2, 3});
        assertEquals(2.0, mi.mean(), 1e-12);
        assertEquals(2 + 4.302652729911275 / Math.sqrt(3), mi.upper(), 1e-9);
        assertTrue(Double.isNaN(AblationStatistics.meanInterval(new double[] {0.5}).lower()));
    }

    @Test
    void quickAblationWritesTheTableTheJsonAndThePlots() throws IOException {
        Path m0 = tinyStartingModel();
        Path out = tmp.resolve("ablate");

        StringWriter err = new StringWriter();
        var cli = Rpo4jCli.commandLine();
        cli.setErr(new PrintWriter(err, true));
        // Two runs at a time in child processes: each run's log lands beside its directory.
        int code = cli.execute("ablate", "--quick", "--seeds", "2", "--model", m0.toString(), "--out", out.toString(),
                "--no-progress", "--jobs", "2", "--methods", String.join(",", AblateCommand.ALL_METHODS));
        assertEquals(0, code, err.toString());
        assertTrue(Files.exists(out.resolve("seed-1").resolve("rpo.log")), "each child logs beside its run");

        String md = Files.readString(out.resolve("results.md"));
        for (String method : AblateCommand.ALL_METHODS) {
            assertTrue(md.contains("| " + method + " | 0.001 | 1 |"), "results.md lacks iteration 1 of " + method);
        }
        assertTrue(md.contains("Diagnostics per iteration"), md);
        assertTrue(md.contains("McNemar") && md.contains("RISE turns") && md.contains("Acc@t2"), md);
        JsonNode json = Rpo4jCli.JSON.readTree(out.resolve("results.json").toFile());
        for (String method : AblateCommand.ALL_METHODS) {
            assertTrue(json.path("methods").path(method).path("vs_m0").has("mcnemar_exact_p"), method);
        }
        assertTrue(md.contains("Final iteration against M0"), md);
        JsonNode rpo = json.path("methods").path("RPO").path("iterations");
        assertEquals(2, rpo.size(), "iterations 0 and 1");
        JsonNode greedy = rpo.get(1).path("greedy");
        assertEquals(2, greedy.path("per_seed").size());
        double mean = (greedy.path("per_seed").get(0).asDouble() + greedy.path("per_seed").get(1).asDouble()) / 2;
        assertEquals(mean, greedy.path("mean").asDouble(), 1e-12);
        assertTrue(json.path("methods").path("DPO").path("vs_rpo").has("mcnemar_exact_p"));
        assertEquals(2, json.path("methods").path("RISE").path("final_turn_accuracy").size(), "two turns in --quick");
        assertTrue(json.path("methods").path("SCORE").has("final_delta_i_to_c"));
        assertTrue(json.path("chosen_logps").path("RPO").size() > 0, "RPO's chosen log-probs per step");
        assertTrue(json.path("chosen_logps").path("DPO").size() > 0, "DPO's chosen log-probs per step");
        assertTrue(Files.size(out.resolve("results.png")) > 0);
        assertTrue(Files.size(out.resolve("chosen_logps.png")) > 0);
        // Every method ran from the same M0 for each seed.
        assertTrue(ModelDirectory.isComplete(out.resolve("seed-1").resolve("score").resolve("iter-1").resolve("model")));

        // A rerun with another setting is refused in the child runs, unless the ablation accepts the change.
        String[] changed = {"ablate", "--quick", "--seeds", "1", "--model", m0.toString(), "--out", out.toString(),
                "--no-progress", "--jobs", "1", "--methods", "RPO", "--majority-k", "1"};
        assertTrue(cli.execute(changed) != 0, "a changed setting is refused");
        String[] accepted = java.util.Arrays.copyOf(changed, changed.length + 1);
        accepted[changed.length] = "--accept-changed-settings";
        assertEquals(0, cli.execute(accepted), err.toString());
    }

    @Test
    void feedbackReachesRisesFeedbackAndScoresInstructionInTheChildRuns() throws IOException {
        Path m0 = tinyStartingModel();
        Path out = tmp.resolve("feedback");
        StringWriter err = new StringWriter();
        var cli = Rpo4jCli.commandLine();
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute("ablate", "--quick", "--seeds", "1", "--model", m0.toString(), "--out", out.toString(),
                "--no-progress", "--jobs", "1", "--methods", "RISE,SCORE", "--majority-k", "0", "--feedback", " Try again. ");
        assertEquals(0, code, err.toString());
        JsonNode rise = Rpo4jCli.JSON.readTree(out.resolve("seed-0").resolve("rise").resolve("config.json").toFile());
        JsonNode score = Rpo4jCli.JSON.readTree(out.resolve("seed-0").resolve("score").resolve("config.json").toFile());
        assertEquals(" Try again. ", rise.path("settings").path("feedback").asText(), rise.toString());
        assertEquals(" Try again. ", score.path("settings").path("instruction").asText(), score.toString());
    }

    @Test
    void aSweepChoosesEachMethodsRateOnTheValidationProblemsByTheStatedRule() throws IOException {
        Path m0 = tinyStartingModel();
        Path out = tmp.resolve("sweep");
        StringWriter err = new StringWriter();
        var cli = Rpo4jCli.commandLine();
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute("ablate", "--quick", "--model", m0.toString(), "--out", out.toString(), "--no-progress",
                "--jobs", "1", "--methods", "RPO,SFT_CHOSEN", "--sweep", "1e-3,1e-2");
        assertEquals(0, code, err.toString());
        JsonNode json = Rpo4jCli.JSON.readTree(out.resolve("sweep.json").toFile());
        for (String method : List.of("RPO", "SFT_CHOSEN")) {
            JsonNode m = json.path("methods").path(method);
            double low = m.path("after_iteration_1").path("0.001").path("test_accuracy").asDouble();
            double high = m.path("after_iteration_1").path("0.01").path("test_accuracy").asDouble();
            assertEquals(high > low ? 0.01 : 0.001, m.path("chosen_rate").asDouble(), 0.0, method);
            // Evaluated on the validation problems, not the test set.
            Path eval = out.resolve("sweep").resolve("lr-0.001").resolve(method.toLowerCase()).resolve("config.json");
            assertTrue(Files.readString(eval).contains("\"eval_questions\" : 4")
                    || Files.readString(eval).contains("\"eval_questions\":4"), Files.readString(eval));
        }
        assertTrue(Files.readString(out.resolve("sweep.md")).contains("| RPO |"));
        // Every run shares the first run's M0 samples: the same seed would draw the same ones.
        Path leader = out.resolve("sweep").resolve("lr-0.001").resolve("rpo").resolve("iter-1").resolve("samples.jsonl");
        Path follower = out.resolve("sweep").resolve("lr-0.01").resolve("sft_chosen").resolve("iter-1")
                .resolve("samples.jsonl");
        assertEquals(Files.readString(leader), Files.readString(follower));
    }

    @Test
    void chosenRateFollowsTheRuleWithTiesToTheSmallerRate() {
        Map<AblateCommand.RunSpec, RunResult> results = new LinkedHashMap<>();
        double[][] accuracies = {{1e-5, 0.40}, {3e-5, 0.45}, {1e-4, 0.45}, {3e-4, 0.30}};
        for (double[] a : accuracies) {
            results.put(new AblateCommand.RunSpec("RPO", 0, a[0], tmp), new RunResult(List.of(
                    Map.of("test_accuracy", 0.35), Map.of("test_accuracy", a[1])), tmp, tmp));
        }
        SweepReport report = SweepReport.of(results, List.of("RPO"), List.of(3e-4, 1e-4, 3e-5, 1e-5));
        assertEquals(3e-5, report.chosenRate("RPO"), 0.0);
    }

    @Test
    void theSweepSaysWhatEachMethodTrainedOn() {
        assertEquals("1384 pairs", SweepReport.trainedOn(Map.of("train_pairs", 1384, "samples", 4000)));
        assertEquals("909 examples", SweepReport.trainedOn(Map.of("train_examples", 909, "samples", 1456)));
        assertEquals("4000 rollouts", SweepReport.trainedOn(Map.of("samples", 4000)));
        assertEquals("-", SweepReport.trainedOn(Map.of()));
    }

    @Test
    void poolFromMovesTheChildRunsPool() throws IOException {
        Path m0 = tinyStartingModel();
        Path out = tmp.resolve("pool-from");
        StringWriter err = new StringWriter();
        var cli = Rpo4jCli.commandLine();
        cli.setErr(new PrintWriter(err, true));
        // Two jobs: the flag must reach the child processes, not only this one.
        int code = cli.execute("ablate", "--quick", "--seeds", "2", "--model", m0.toString(), "--out", out.toString(),
                "--no-progress", "--jobs", "2", "--methods", "RPO", "--majority-k", "0", "--pool-from", "100");
        assertEquals(0, code, err.toString());
        for (String seed : List.of("seed-0", "seed-1")) {
            Set<String> sampled = new TreeSet<>();
            for (String line : Files.readAllLines(out.resolve(seed).resolve("rpo").resolve("iter-1")
                    .resolve("samples.jsonl"))) {
                sampled.add(Rpo4jCli.JSON.readTree(line).path("questionId").asText());
            }
            assertEquals(Set.of("arith-7-train-100", "arith-7-train-101", "arith-7-train-102", "arith-7-train-103"),
                    sampled, seed);
        }
        // The pool ends before the validation problems: 4,998 leaves room for two.
        assertTrue(cli.execute("ablate", "--quick", "--out", tmp.resolve("late").toString(), "--pool-from", "4998") != 0);
        assertTrue(err.toString().contains("--pool must be in [1, 2]"), err.toString());
    }

    @Test
    void sizesOutOfRangeAreNamedBeforeAnythingIsWritten() {
        Path out = tmp.resolve("bad");
        for (String[] flags : new String[][] {{"--pool", "0"}, {"--pool", "999999"}, {"--test", "501"},
                {"--iterations", "0"}, {"--lr", "0"}, {"--lr", "XYZ=1e-4"}, {"--methods", "RPO,BOGUS"},
                {"--jobs", "0"}, {"--eval-split", "train"}, {"--sweep", "0"}, {"--pool-from", "-1"},
                {"--pool-from", "5000"}}) {
            StringWriter err = new StringWriter();
            var cli = Rpo4jCli.commandLine();
            cli.setErr(new PrintWriter(err, true));
            int code = cli.execute("ablate", "--quick", "--out", out.toString(), flags[0], flags[1]);
            assertTrue(code != 0, String.join(" ", flags));
            assertTrue(err.toString().contains(flags[0]), err.toString());
            assertTrue(Files.notExists(out), "nothing written for " + String.join(" ", flags));
        }
    }
}
