package io.github.rpo4j.iterate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rpo4j.data.JsonlReader;
import io.github.rpo4j.train.TrainingSettings;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunResultTest {

    @TempDir
    Path tmp;

    @Test
    void typedMetricsAreTheSameOnAFreshAndAResumedRunAndMatchMetricsJsonl() throws IOException {
        Path dir = tmp.resolve("run");
        RunResult fresh = TinyRuns.preference(dir, TinyRuns.PARITY).iterations(1).build().run();
        // Everything is on disk: a second run resumes, reading every iteration's metrics back.
        RunResult resumed = TinyRuns.preference(dir, TinyRuns.PARITY).iterations(1).build().run();

        assertEquals(fresh.iterations(), resumed.iterations());
        assertEquals(fresh.metrics(), resumed.metrics());
        assertInstanceOf(List.class, fresh.iterations().get(1).get("test_accuracy_ci95"));

        List<IterationMetrics> m = fresh.metrics();
        assertEquals(2, m.size());
        assertEquals(0, m.get(0).iteration(), "M0 first");
        assertEquals(1, m.get(1).iteration());
        List<Map<String, Object>> lines = JsonlReader.readAll(new RunDirectory(dir).metrics(), r -> {
            @SuppressWarnings("unchecked")
            Map<String, Object> map = RunDirectory.JSON.convertValue(r.json(), LinkedHashMap.class);
            return map;
        });
        for (int t = 0; t < 2; t++) {
            Map<String, Object> line = lines.get(t);
            IterationMetrics it = m.get(t);
            assertEquals(((Number) line.get("test_accuracy")).doubleValue(), it.testAccuracy());
            List<?> ci = (List<?>) line.get("test_accuracy_ci95");
            assertEquals(((Number) ci.get(0)).doubleValue(), it.testAccuracyCi95().low());
            assertEquals(((Number) ci.get(1)).doubleValue(), it.testAccuracyCi95().high());
            assertEquals(2, it.majorityK());
            assertEquals(((Number) line.get("maj_at_k_accuracy")).doubleValue(), it.majorityAccuracy().getAsDouble());
            assertEquals(TinyRuns.SPLIT.test().size(), it.testQuestions());
        }
        assertTrue(m.get(0).sampleAccuracy().isEmpty() && m.get(0).trainPairs().isEmpty());
        assertTrue(m.get(0).trainingLoss().isEmpty());
        assertEquals(((Number) lines.get(1).get("sample_accuracy")).doubleValue(), m.get(1).sampleAccuracy().getAsDouble());
        assertEquals(((Number) lines.get(1).get("train_pairs")).intValue(), m.get(1).trainPairs().getAsInt());
        assertEquals(((Number) lines.get(1).get("loss")).doubleValue(), m.get(1).trainingLoss().getAsDouble());
        // Training metrics under TRL's names, and the peak learning rate beside the mean.
        for (String name : List.of("rewards/chosen", "rewards/margins", "rewards/accuracies", "logps/chosen", "grad_norm")) {
            assertTrue(m.get(1).metric(name).isPresent(), name);
        }
        assertEquals(1e-3, m.get(1).metric("lr_peak").getAsDouble(), 1e-12);
        assertEquals(m.get(1), fresh.last());
    }

    @Test
    void majorityAccuracyIsEmptyWhenTheVoteIsOff() {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("iteration", 0);
        line.put("test_accuracy", 0.5);
        line.put("test_accuracy_ci95", List.of(0.2, 0.8));
        line.put("maj_at_k_accuracy", 0.0);
        line.put("k", 0);
        line.put("test_questions", 4);
        line.put("sample_accuracy", null);
        IterationMetrics m = IterationMetrics.fromMap(line);
        assertEquals(OptionalDouble.empty(), m.majorityAccuracy());
        assertFalse(m.toString().contains("maj@"), m.toString());
        line.remove("test_accuracy");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IterationMetrics.fromMap(line));
        assertTrue(e.getMessage().contains("'test_accuracy'"), e.getMessage());
    }

    @Test
    void theBuilderRefusesTwoDifferentRatesForTheFirstIterationNamingBoth() {
        IterativeRpo.Builder b = TinyRuns.preference(tmp.resolve("lr"), TinyRuns.PARITY)
                .training(TrainingSettings.defaults(3e-4)).learningRates(1e-4, 5e-5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, b::build);
        assertTrue(e.getMessage().contains("learningRates(1.0E-4, ...)") && e.getMessage().contains("training(TrainingSettings)")
                && e.getMessage().contains("3.0E-4"), e.getMessage());
        // Agreeing settings, and learningRates alone, are accepted.
        TinyRuns.preference(tmp.resolve("ok"), TinyRuns.PARITY).training(TrainingSettings.defaults(1e-4))
                .learningRates(1e-4, 5e-5);
    }

    @Test
    void aMissingSettingNamesTheBuilderCall() {
        IterativeRpo.Builder b = IterativeRpo.builder().model(TinyRuns.model(64), TinyRuns.TOKENIZER)
                .trainQuestions(TinyRuns.train()).evalQuestions(TinyRuns.SPLIT.test()).runDirectory(tmp.resolve("v"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, b::build);
        assertEquals("missing setting verifier: call verifier(...) on the builder", e.getMessage());
    }

    @Test
    void aPromptTheTokenizerCannotEncodeNamesTheQuestionAndItsList() {
        List<io.github.rpo4j.data.Question> eval = new java.util.ArrayList<>(TinyRuns.SPLIT.test());
        eval.add(new io.github.rpo4j.data.Question("odd-one", "What is 7 times 8 plus 2?", "58", null));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TinyRuns
                .preference(tmp.resolve("enc"), TinyRuns.PARITY).evalQuestions(eval).build());
        assertTrue(e.getMessage().startsWith("evalQuestions: question \"odd-one\": its prompt cannot be encoded"),
                e.getMessage());
    }

    @Test
    void theBuilderWarnsAboutSharedIdsAndMaxNewTokensPastTheContext() throws IOException {
        java.io.PrintStream saved = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            // The evaluation questions are the training questions; 12 + 500 new tokens exceed the context of 224.
            TinyRuns.preference(tmp.resolve("warn"), TinyRuns.PARITY).evalQuestions(TinyRuns.train()).maxNewTokens(500)
                    .build();
        } finally {
            System.setErr(saved);
        }
        String log = captured.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(log.contains(TinyRuns.train().size() + " evaluation question id(s) are also training question ids "
                + "(first: " + TinyRuns.train().get(0).id() + ")"), log);
        assertTrue(log.contains("maxNewTokens 500 plus the longest prompt") && log.contains("context of 224"), log);
    }
}
