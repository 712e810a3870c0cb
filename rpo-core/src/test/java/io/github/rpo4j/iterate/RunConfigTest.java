package io.github.rpo4j.iterate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** config.json's settings and provenance, the settings check on resume, and the run directory's lock. */
class RunConfigTest {

    @TempDir
    Path tmp;

    private static IterativeRpo.Builder oneIteration(Path dir) {
        return TinyRuns.preference(dir, TinyRuns.PARITY).iterations(1).majorityVote(0, 1.0);
    }

    @Test
    void configHoldsTheSettingsAndWhatRanThem() throws IOException {
        Path dir = tmp.resolve("run");
        oneIteration(dir).seed(7).build().run();
        JsonNode config = RunDirectory.JSON.readTree(new RunDirectory(dir).config().toFile());
        JsonNode settings = config.get("settings");
        assertEquals("PREFERENCE", settings.get("method").asText());
        assertEquals(0.1, settings.get("beta").asDouble());
        assertEquals(1.0, settings.get("nll_weight").asDouble());
        assertEquals(7, settings.get("seed").asLong());
        assertEquals(12, settings.get("max_new_tokens").asInt());
        JsonNode provenance = config.get("provenance");
        assertTrue(provenance.get("rpo4j_version").asText().matches("\\d+\\.\\d+\\.\\d+.*"), provenance.toString());
        assertTrue(provenance.get("nd4j_version").asText().matches("\\d+\\.\\d+\\.\\d+.*"), provenance.toString());
        assertEquals(System.getProperty("java.version"), provenance.get("java_version").asText());
        assertTrue(provenance.get("os").asText().startsWith(System.getProperty("os.name")));
        assertEquals(7, provenance.get("seed").asLong());
        assertNotNull(provenance.get("available_processors"));
    }

    @Test
    void aResumeWithOtherSettingsIsRefusedNamingEachUnlessAccepted() throws IOException {
        Path dir = tmp.resolve("run");
        RunResult first = oneIteration(dir).build().run();
        RunDirectory run = new RunDirectory(dir);
        String config = Files.readString(run.config());

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> oneIteration(dir).beta(0.2).nllWeight(2).build().run());
        String message = e.getMessage();
        assertTrue(message.contains("beta: was 0.1, now 0.2"), message);
        assertTrue(message.contains("nll_weight: was 1.0, now 2.0"), message);
        assertTrue(message.contains("--accept-changed-settings"), message);
        assertTrue(!message.contains("seed") && !message.contains("max_new_tokens"), "only the differences: " + message);
        assertEquals(config, Files.readString(run.config()), "a refused resume leaves config.json alone");

        // The same settings resume silently; accepted changes resume and are recorded.
        assertEquals(first.iterations().get(1).get("test_accuracy"),
                oneIteration(dir).build().run().iterations().get(1).get("test_accuracy"));
        oneIteration(dir).beta(0.2).acceptChangedSettings(true).build().run();
        assertEquals(0.2, RunDirectory.JSON.readTree(run.config().toFile()).get("settings").get("beta").asDouble());
    }

    @Test
    void riseRecordsItsOwnSettingsAndARiseResumeWithOtherWeightsIsRefusedNamingThem() throws IOException {
        Path dir = tmp.resolve("rise");
        TinyRuns.rise(dir, TinyRuns.PARITY).iterations(1).turns(2).majorityVote(0, 1.0).build().run();
        JsonNode settings = RunDirectory.JSON.readTree(new RunDirectory(dir).config().toFile()).get("settings");
        assertEquals("RISE", settings.get("method").asText());
        assertEquals(0.4, settings.get("weight_temperature").asDouble());
        assertEquals("UNNORMALISED", settings.get("reward_weighting").asText());
        assertEquals(2, settings.get("turns").asInt());
        assertEquals(12, settings.get("max_new_tokens").asInt(), "the shared settings follow the method's");

        IllegalStateException e = assertThrows(IllegalStateException.class, () -> TinyRuns.rise(dir, TinyRuns.PARITY)
                .iterations(1).turns(2).majorityVote(0, 1.0).weightTemperature(0.5)
                .rewardWeighting(io.github.rpo4j.losses.NllWeighting.SELF_NORMALISED).build().run());
        assertTrue(e.getMessage().contains("weight_temperature: was 0.4, now 0.5"), e.getMessage());
        assertTrue(e.getMessage().contains("reward_weighting: was \"UNNORMALISED\", now \"SELF_NORMALISED\""),
                e.getMessage());
    }

    /**
     * Every component of a settings record is written to config.json (under its snake_case name, or the key listed
     * here) or named here as one that cannot be compared, so a setting added to a record cannot be left out of the
     * resume check by oversight.
     */
    @Test
    void everySettingsRecordComponentIsInConfigJsonOrNamedAsLeftOut() throws IOException {
        LoopSettings shared = TinyRuns.preference(tmp.resolve("c"), TinyRuns.PARITY).freeze().settings();
        assertRecorded(shared, shared.toConfig(), Map.of("extractor", "answer_extractor", "format", "prompt_separator"),
                // M0's tokenizer comes with the recorded model; the verifier is code without a serialisable form; the
                // chunk sizes only move sampling seeds; the count of skipped questions follows from the recorded lists;
                // the rest cannot change what a run computes.
                List.of("tokenizer", "verifier", "skippedOverlongQuestions", "sampleChunkQuestions",
                        "evalChunkQuestions", "sampler", "progressBar", "listeners", "acceptChangedSettings"));
        IterativeRpo.Settings rpo = new IterativeRpo.Settings(Method.REST_EM, 1, 2, 1, 3, List.of(0.8), List.of(), 0.1,
                1, io.github.rpo4j.losses.NllNormalization.PER_SEQUENCE_MEAN, false, null, null, true);
        assertRecorded(rpo, rpo.toConfig(), Map.of("referenceIsStartingModel", "reference"), List.of());
        Rise.Settings rise = new Rise.Settings(null, "f", 2, 2, 1, 1.0, 0.4,
                io.github.rpo4j.losses.NllWeighting.UNNORMALISED, false);
        assertRecorded(rise, rise.toConfig(), Map.of(), List.of());
        SCoRe.Settings score = new SCoRe.Settings("i", 1, 1, 2, 1.0, 0.01, 0.1, 10, 1e-5, 2e-5);
        assertRecorded(score, score.toConfig(), Map.of(), List.of());
    }

    private static void assertRecorded(Record settings, Map<String, Object> config, Map<String, String> keyOf,
                                       List<String> leftOut) {
        for (java.lang.reflect.RecordComponent c : settings.getClass().getRecordComponents()) {
            String key = keyOf.getOrDefault(c.getName(), c.getName().replaceAll("([A-Z])", "_$1").toLowerCase());
            assertTrue(config.containsKey(key) || leftOut.contains(c.getName()), settings.getClass().getName() + "."
                    + c.getName() + " is neither in config.json (as " + key + ") nor named as left out: " + config.keySet());
            assertTrue(!(config.containsKey(key) && leftOut.contains(c.getName())), c.getName() + " is recorded");
        }
    }

    @Test
    void theBuiltLoopKeepsTheSettingsOfItsBuildWhateverTheBuilderDoesLater() throws IOException {
        Path dir = tmp.resolve("run");
        IterativeRpo.Builder builder = oneIteration(dir);
        IterativeRpo loop = builder.build();
        builder.beta(0.5).iterations(3).listener(new IterationListener() {
        });
        RunResult r = loop.run();
        assertEquals(2, r.iterations().size());
        JsonNode settings = RunDirectory.JSON.readTree(new RunDirectory(dir).config().toFile()).get("settings");
        assertEquals(0.1, settings.get("beta").asDouble());
    }

    @Test
    void scoreTrainsWithAMicroBatchOfOneSinceEachQuestionsRolloutsShareTheirBaseline() throws IOException {
        // A question's rollouts form one leave-one-out group and share a micro-batch whatever its size, so a
        // micro-batch of one no longer gives every sample a zero advantage: the model moves.
        Path dir = tmp.resolve("s");
        TinyRuns.score(dir, TinyRuns.PARITY)
                .training(io.github.rpo4j.train.TrainingSettings.defaults(1e-2).withBatch(4, 1)).build().run();
        RunDirectory run = new RunDirectory(dir);
        assertTrue(!java.util.Arrays.equals(Files.readAllBytes(run.model(0).resolve("model.safetensors")),
                Files.readAllBytes(run.model(1).resolve("model.safetensors"))), "stage I changed the model");
    }

    @Test
    void settingDifferencesAreListedLeafByLeafWithNumbersComparedByValue() {
        JsonNode was = RunDirectory.JSON.valueToTree(Map.of("a", 1, "t", Map.of("lr", 1e-3, "batch", 4),
                "list", List.of(0.8, 1.3)));
        JsonNode now = RunDirectory.JSON.valueToTree(Map.of("a", 1.0, "t", Map.of("lr", 2e-3, "batch", 4),
                "list", List.of(0.8), "new", "x"));
        assertEquals(List.of("list: was [0.8,1.3], now [0.8]", "new: was absent, now \"x\"",
                "t.lr: was 0.001, now 0.002"), RunConfig.differences(was, now));
    }

    @Test
    void aRunDirectoryInUseIsRefusedAndFreedWhenItsRunEnds() throws IOException {
        Path dir = tmp.resolve("run");
        RunDirectory run = RunDirectory.prepare(dir);
        try (RunDirectory.Lock held = run.lock()) {
            IOException e = assertThrows(IOException.class, () -> oneIteration(dir).build().run());
            assertTrue(e.getMessage().contains("in use by another run") && e.getMessage().contains(dir.toString()),
                    e.getMessage());
            assertTrue(Files.notExists(run.config()), "a refused run writes nothing");
        }
        oneIteration(dir).build().run(); // released: the run goes ahead
        try (RunDirectory.Lock again = run.lock()) {
            assertNotNull(again, "the finished run released its lock");
        }
    }
}
