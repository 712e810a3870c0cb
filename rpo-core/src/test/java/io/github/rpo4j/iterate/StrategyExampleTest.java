package io.github.rpo4j.iterate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.rpo4j.train.TrainingSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A method written as one strategy class ({@link FirstCorrectSft}) gets the whole run from {@link RunLoop}. */
class StrategyExampleTest {

    @TempDir
    Path tmp;

    private FirstCorrectSft.Builder tiny(Path dir) {
        return FirstCorrectSft.builder().model(TinyRuns.model(224), TinyRuns.TOKENIZER).trainQuestions(TinyRuns.train())
                .evalQuestions(TinyRuns.SPLIT.test()).verifier(TinyRuns.PARITY).maxNewTokens(12).majorityVote(2, 1.0)
                .training(TrainingSettings.defaults(1e-3).withBatch(2, 2)).progressBar(false).runDirectory(dir);
    }

    @Test
    void aStrategyClassRunsEvaluatesResumesAndRecordsItsSettings() throws IOException {
        Path dir = tmp.resolve("first-correct");
        RunResult first = tiny(dir).iterations(1).build().run();
        RunDirectory run = new RunDirectory(dir);
        assertEquals(2, first.iterations().size());
        int examples = ((Number) first.iterations().get(1).get("train_examples")).intValue();
        assertTrue(examples > 0 && examples <= TinyRuns.train().size(), "examples " + examples);
        assertTrue(first.iterations().get(1).containsKey("loss"), "the training means are reported");
        JsonNode settings = RunDirectory.JSON.readTree(run.config().toFile()).get("settings");
        assertEquals("FIRST_CORRECT_SFT", settings.get("method").asText());
        assertTrue(settings.has("training") && settings.has("seed"), "the loop adds the shared settings");

        // A second iteration (an accepted change) reuses iteration 1 and samples from M1 read back from disk.
        List<String> skipped = new ArrayList<>();
        RunResult longer = tiny(dir).iterations(2).acceptChangedSettings(true).listener(new IterationListener() {
            @Override
            public void onStageSkipped(int t, String stage) {
                skipped.add(t + " " + stage);
            }
        }).build().run();
        assertEquals(List.of("0 evaluate", "1 iteration"), skipped);
        assertEquals(first.iterations().get(1).get("test_accuracy"), longer.iterations().get(1).get("test_accuracy"));
        assertTrue(Files.exists(run.evaluation(2)) && Files.exists(run.pairs(2)));
        assertTrue(Files.exists(run.metrics()) && Files.exists(run.accuracyPlot()));
    }
}
