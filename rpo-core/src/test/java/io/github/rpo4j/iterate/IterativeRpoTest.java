package io.github.rpo4j.iterate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rpo4j.data.JsonlReader;
import io.github.rpo4j.data.Question;
import io.github.rpo4j.data.VerifiedSample;
import io.github.rpo4j.data.SyntheticArithmeticTask;
import io.github.rpo4j.data.Verifier;
import io.github.rpo4j.model.ModelConfig;
import io.github.rpo4j.model.ModelDirectory;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.text.CharTokenizer;
import io.github.rpo4j.train.TrainingSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

class IterativeRpoTest {

    @TempDir
    Path tmp;

    private final SyntheticArithmeticTask task = new SyntheticArithmeticTask();
    private final CharTokenizer tokenizer = CharTokenizer.ofAlphabet(task.alphabet());
    /** A random tiny model answers at random: call a completion correct when it holds an even digit count. */
    private final Verifier parity = (q, completion) -> completion.chars().filter(Character::isDigit).count() % 2 == 0;

    private IterativeRpo.Builder tinyRun(Path dir, Method method) {
        ModelConfig c = ModelConfig.gpt2(tokenizer.vocabSize(), 224, 1, 16, 2).withEosTokenId(0);
        TransformerLM m = TransformerLM.initialize(c, 5, DataType.FLOAT);
        SyntheticArithmeticTask.Split split = task.splits(6, 4, 3);
        return IterativeRpo.builder().model(m, tokenizer).trainQuestions(split.train()).evalQuestions(split.test())
                .verifier(parity).iterations(2).samplesPerQuestion(4).pairsPerQuestion(2).maxNewTokens(12)
                .majorityVote(2, 1.0).temperatures(1.5).method(method)
                .training(TrainingSettings.defaults(1e-3).withBatch(4, 4)).sampleChunkQuestions(4)
                .progressBar(false).runDirectory(dir);
    }

    @Test
    void aRunWritesEveryStageAndItsMetrics() throws IOException {
        Path dir = tmp.resolve("run");
        RunResult r = tinyRun(dir, Method.PREFERENCE).build().run();
        assertEquals(3, r.iterations().size());
        RunDirectory run = new RunDirectory(dir);
        for (int t = 1; t <= 2; t++) {
            List<VerifiedSample> samples = JsonlReader.readAll(run.samples(t), VerifiedSample.class);
            assertEquals(6 * 4, samples.size());
            assertTrue(Files.exists(run.pairs(t)) && Files.exists(run.training(t)));
            assertTrue(ModelDirectory.isComplete(run.model(t)));
            assertTrue(Files.notExists(run.partialSamples(t)));
        }
        List<Map<String, Object>> metrics = JsonlReader.readAll(run.metrics(), rec -> {
            @SuppressWarnings("unchecked")
            Map<String, Object> m = RunDirectory.JSON.convertValue(rec.json(), Map.class);
            return m;
        });
        assertEquals(3, metrics.size());
        for (String key : List.of("iteration", "test_accuracy", "test_accuracy_ci95", "maj_at_k_accuracy", "k",
                "sample_accuracy", "train_questions_used", "train_pairs", "seconds")) {
            assertTrue(metrics.get(2).containsKey(key), "metrics.jsonl lacks " + key);
        }
        assertTrue(metrics.get(1).containsKey("rewards/accuracies"));
        assertTrue(Files.exists(run.accuracyPlot()));
        assertTrue(Files.exists(run.config()));
        assertEquals(r.finalModel(), run.model(2));
    }

    @Test
    void aRunStoppedMidIterationResumesToTheSameResult() throws IOException {
        RunResult straight = tinyRun(tmp.resolve("straight"), Method.PREFERENCE).build().run();

        Path dir = tmp.resolve("interrupted");
        IterationListener crash = new IterationListener() {
            @Override
            public void onStage(int iteration, String stage) {
                if (iteration == 2 && stage.equals("train")) {
                    throw new IllegalStateException("simulated crash");
                }
            }
        };
        assertThrows(IllegalStateException.class, () -> tinyRun(dir, Method.PREFERENCE).listener(crash).build().run());
        RunDirectory run = new RunDirectory(dir);
        assertTrue(Files.exists(run.samples(2)) && !ModelDirectory.isComplete(run.model(2)));
        long samplesWritten = Files.getLastModifiedTime(run.samples(1)).toMillis();

        RunResult resumed = tinyRun(dir, Method.PREFERENCE).build().run();
        assertEquals(samplesWritten, Files.getLastModifiedTime(run.samples(1)).toMillis(), "iteration 1 was redone");
        for (String key : List.of("logps/chosen_before", "logps/chosen_after", "pass_at_n", "sample_accuracy")) {
            assertEquals(((Number) straight.iterations().get(1).get(key)).doubleValue(),
                    ((Number) resumed.iterations().get(1).get(key)).doubleValue(), 0.0, key + " after a resume");
        }
        for (int t = 0; t <= 2; t++) {
            assertEquals(straight.iterations().get(t).get("test_accuracy"), resumed.iterations().get(t).get("test_accuracy"));
            assertEquals(straight.iterations().get(t).get("maj_at_k_accuracy"),
                    resumed.iterations().get(t).get("maj_at_k_accuracy"));
        }
    }

    @Test
    void aTrainingStageStoppedMidWayResumesFromItsCheckpointToTheSameResult() throws IOException {
        TrainingSettings everyStep = TrainingSettings.defaults(1e-3).withBatch(4, 4)
                .withCheckpointEvery(new TrainingSettings.CheckpointInterval(0, 1));
        RunResult straight = tinyRun(tmp.resolve("straight"), Method.SFT_ON_CORRECT).training(everyStep).build().run();

        Path dir = tmp.resolve("interrupted");
        RunDirectory run = new RunDirectory(dir);
        IterationListener crash = new IterationListener() {
            @Override
            public void onTrainingStep(int iteration, int step, Map<String, Double> metrics) {
                if (iteration == 2 && step == 2) {
                    throw new IllegalStateException("simulated crash");
                }
            }
        };
        assertThrows(IllegalStateException.class,
                () -> tinyRun(dir, Method.SFT_ON_CORRECT).training(everyStep).listener(crash).build().run());
        assertTrue(Files.isDirectory(run.trainingCheckpoint(2)), "a checkpoint was written before the crash");

        List<Integer> stepsHeard = new ArrayList<>();
        IterationListener steps = new IterationListener() {
            @Override
            public void onTrainingStep(int iteration, int step, Map<String, Double> metrics) {
                if (iteration == 2) {
                    stepsHeard.add(step);
                }
            }
        };
        RunResult resumed = tinyRun(dir, Method.SFT_ON_CORRECT).training(everyStep).listener(steps).build().run();
        assertTrue(!stepsHeard.isEmpty() && stepsHeard.get(0) > 1, "resumed after the checkpoint: " + stepsHeard);
        assertTrue(Files.notExists(run.trainingCheckpoint(2)), "the spent checkpoint is removed");
        assertArrayEquals(Files.readAllBytes(new RunDirectory(tmp.resolve("straight")).model(2).resolve("model.safetensors")),
                Files.readAllBytes(run.model(2).resolve("model.safetensors")));
        assertEquals(straight.iterations().get(2).get("test_accuracy"), resumed.iterations().get(2).get("test_accuracy"));
    }

    @Test
    void aTornPartialSamplesFileKeepsOnlyWholeQuestions() throws IOException {
        Path partial = tmp.resolve("samples.partial.jsonl");
        Files.writeString(partial, String.join("\n",
                "{\"questionId\":\"a\",\"completion\":\"1\",\"extractedAnswer\":null,\"correct\":false,\"sampleIndex\":0}",
                "{\"questionId\":\"a\",\"completion\":\"2\",\"extractedAnswer\":null,\"correct\":true,\"sampleIndex\":1}",
                "{\"questionId\":\"b\",\"completion\":\"3\",\"extractedAnswer\":null,\"correct\":false,\"sampleIndex\":0}",
                "{\"questionId\":\"b\",\"comple"));
        Map<String, List<VerifiedSample>> whole = IterativeRpo.readCompleteQuestions(partial, 2);
        assertEquals(List.of("a"), List.copyOf(whole.keySet()));
    }

    @Test
    void sftAndRestEmRunOnTheSameLoop() throws IOException {
        for (Method m : List.of(Method.SFT_ON_CORRECT, Method.REST_EM)) {
            RunResult r = tinyRun(tmp.resolve(m.name()), m).iterations(1).build().run();
            assertEquals(2, r.iterations().size());
            assertTrue(((Number) r.iterations().get(1).get("train_pairs")).intValue() > 0);
        }
    }

    @Test
    void sftOnChosenTrainsOnTheWinnersOfRposPairsAndEveryMethodIsProbed() throws IOException {
        RunResult rpo = tinyRun(tmp.resolve("rpo"), Method.PREFERENCE).iterations(1).build().run();
        RunResult chosen = tinyRun(tmp.resolve("chosen"), Method.SFT_ON_CHOSEN).iterations(1).build().run();
        RunResult correct = tinyRun(tmp.resolve("correct"), Method.SFT_ON_CORRECT).iterations(1).build().run();
        Map<String, Object> a = rpo.iterations().get(1);
        Map<String, Object> b = chosen.iterations().get(1);
        // Same M0, seed and samples: the same pairs, of which SFT on chosen trains on the winners, one per pair.
        assertEquals(a.get("train_pairs"), b.get("train_pairs"));
        RunDirectory run = new RunDirectory(tmp.resolve("chosen"));
        Map<?, ?> training = run.readJson(run.training(1), Map.class);
        int pairs = ((Number) b.get("train_pairs")).intValue();
        assertEquals((pairs + 3) / 4, ((Number) training.get("steps")).intValue(), "one epoch of batches of 4 winners");
        for (Map<String, Object> m : List.of(a, b, correct.iterations().get(1))) {
            for (String key : List.of("pass_at_n", "distinct_samples_per_question", "logps/chosen_before",
                    "logps/chosen_after", "logps/rejected_before", "logps/rejected_after", "probe_pairs")) {
                assertTrue(m.get(key) instanceof Number, "metrics lack " + key + ": " + m);
            }
            // The probe is scored under the same M0 before training, whatever the method (RPO takes it from its
            // reference pass, whose batches differ, so float32 rounding may differ in the last bits).
            assertEquals(((Number) a.get("logps/chosen_before")).doubleValue(),
                    ((Number) m.get("logps/chosen_before")).doubleValue(), 1e-6);
        }
        // Plain NLL on the winners at lr 1e-3 raises their likelihood.
        assertTrue(((Number) b.get("logps/chosen_after")).doubleValue() > ((Number) b.get("logps/chosen_before")).doubleValue());
    }

    @Test
    void theReferenceIsThePreviousIterateUnlessM0IsAsked() throws IOException {
        for (boolean m0 : new boolean[] {false, true}) {
            Path dir = tmp.resolve("reference-" + m0);
            tinyRun(dir, Method.PREFERENCE).referenceStartingModel(m0).build().run();
            RunDirectory run = new RunDirectory(dir);
            List<?> history = (List<?>) run.readJson(run.training(2), Map.class).get("history");
            // The first step's rewards are measured before any update: zero (up to float32 rounding of batches of
            // other shapes) when the reference is the model that iteration 2 starts from (M1), not when it is M0.
            double reward = ((Number) ((Map<?, ?>) history.get(0)).get("rewards/chosen")).doubleValue();
            assertEquals(!m0, Math.abs(reward) < 1e-6, "reference M0: " + m0 + ", first reward " + reward);
        }
    }

    @Test
    void eachIterationTrainsAtItsOwnLearningRate() throws IOException {
        Path dir = tmp.resolve("rates");
        // The tiny run's schedule is constant (no warm-up, no decay), so every step runs at the iteration's peak.
        tinyRun(dir, Method.PREFERENCE).iterations(3).learningRates(1e-3, 2e-4).build().run();
        RunDirectory run = new RunDirectory(dir);
        double[] expected = {1e-3, 2e-4, 2e-4};
        for (int t = 1; t <= 3; t++) {
            Map<?, ?> training = run.readJson(run.training(t), Map.class);
            List<?> history = (List<?>) training.get("history");
            assertTrue(!history.isEmpty(), "iteration " + t + " trained");
            for (Object step : history) {
                assertEquals(expected[t - 1], ((Number) ((Map<?, ?>) step).get("lr")).doubleValue(), 1e-12,
                        "iteration " + t);
            }
        }
    }

    @Test
    void settingsOutOfRangeAreNamedBeforeAnyWork() {
        Path dir = tmp.resolve("bad");
        var e = assertThrows(IllegalArgumentException.class, () -> tinyRun(dir, Method.PREFERENCE).beta(0).build());
        assertTrue(e.getMessage().contains("beta"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> tinyRun(dir, Method.PREFERENCE).samplesPerQuestion(1).build());
        assertTrue(e.getMessage().contains("samplesPerQuestion"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> tinyRun(dir, Method.PREFERENCE).pairsPerQuestion(0).build());
        assertTrue(e.getMessage().contains("pairsPerQuestion"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> tinyRun(dir, Method.PREFERENCE).temperatures(-1).build());
        assertTrue(e.getMessage().contains("temperatures"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> tinyRun(dir, Method.PREFERENCE).learningRates(1e-3, 0).build());
        assertTrue(e.getMessage().contains("learningRates"), e.getMessage());
        assertTrue(Files.notExists(dir), "nothing is written for a rejected configuration");
    }

    @Test
    void anUnwritableRunDirectoryIsDetectedFirst() throws IOException {
        Path file = tmp.resolve("not-a-dir");
        Files.writeString(file, "x");
        assertThrows(IOException.class, () -> tinyRun(file.resolve("run"), Method.PREFERENCE).build());
    }

}
