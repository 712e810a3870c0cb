package io.github.rpo4j.iterate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rpo4j.data.Question;
import io.github.rpo4j.model.ModelDirectory;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.tensor.Tensor;
import io.github.rpo4j.train.NonFiniteLossException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Numerical guards, overlong prompts and settings checks of the loop. */
class IterativeRpoReliabilityTest {

    @TempDir
    Path tmp;

    @Test
    void aNanInTheWeightsMidTrainingStopsTheRunNamingIterationStepAndBatchAndKeepsTheLastCheckpoint()
            throws IOException {
        Path dir = tmp.resolve("nan");
        RunDirectory run = new RunDirectory(dir);
        TransformerLM model = TinyRuns.model(224);
        IterationListener poison = new IterationListener() {
            @Override
            public void onTrainingStep(int iteration, int step, Map<String, Double> metrics) {
                if (iteration == 1 && step == 1) {
                    Tensor weight = model.parameters().get("ln_f.weight");
                    weight.value().putScalar(0, Float.NaN);
                }
            }
        };
        NonFiniteLossException e = assertThrows(NonFiniteLossException.class, () -> IterativeRpo.builder()
                .model(model, TinyRuns.TOKENIZER).trainQuestions(TinyRuns.train()).evalQuestions(TinyRuns.SPLIT.test())
                .verifier(TinyRuns.PARITY).iterations(1).samplesPerQuestion(4).pairsPerQuestion(2).maxNewTokens(12)
                .majorityVote(0, 1.0).temperatures(1.5)
                .training(io.github.rpo4j.train.TrainingSettings.defaults(1e-3).withBatch(2, 2))
                .progressBar(false).runDirectory(dir).listener(poison).build().run());
        String message = e.getMessage();
        assertTrue(message.startsWith("iter 1 train: "), message);
        assertTrue(message.contains("at step 2 of ") && message.contains("(batch of 2 items)"), message);

        assertTrue(ModelDirectory.isComplete(run.model(0)), "the last good checkpoint is kept");
        INDArray saved = ModelDirectory.load(run.model(0)).model().weights().get("ln_f.weight");
        assertTrue(Arrays.stream(saved.toDoubleVector()).allMatch(Double::isFinite));
        assertTrue(Files.notExists(run.model(1)) && Files.notExists(run.training(1)) && Files.notExists(run.evaluation(1)),
                "nothing is written for the failed iteration's model");
        assertTrue(Files.exists(run.pairs(1)), "the stages before training stay reusable");
    }

    /** Context lengths at which some, but not all, prompts fit. */
    private static int contextSplittingPrompts(List<Question> questions) {
        int[] lengths = questions.stream().mapToInt(IterativeRpoReliabilityTest::promptLength).sorted().toArray();
        assertTrue(lengths[0] < lengths[lengths.length - 1], "the questions need prompts of different lengths");
        return lengths[lengths.length - 1]; // the longest prompt leaves no room for a new token
    }

    private IterativeRpo.Builder smallContextRun(Path dir, UnaryOperator<List<Question>> trainEdit) {
        int context = contextSplittingPrompts(TinyRuns.train());
        List<Question> train = trainEdit.apply(TinyRuns.train());
        return IterativeRpo.builder().model(TinyRuns.model(context), TinyRuns.TOKENIZER).trainQuestions(train)
                .evalQuestions(TinyRuns.SPLIT.test()).verifier(TinyRuns.PARITY).iterations(1).samplesPerQuestion(2)
                .pairsPerQuestion(1).maxNewTokens(4).majorityVote(0, 1.0).progressBar(false).runDirectory(dir);
    }

    @Test
    void overlongPromptsAreSkippedAndCountedByDefault() throws IOException {
        List<Question> train = TinyRuns.train();
        int context = contextSplittingPrompts(train);
        long overlongTrain = train.stream().filter(q -> promptLength(q) + 1 > context).count();
        long overlongEval = TinyRuns.SPLIT.test().stream().filter(q -> promptLength(q) + 1 > context).count();
        RunResult r = smallContextRun(tmp.resolve("skip"), q -> q).build().run();
        for (Map<String, Object> m : r.iterations()) {
            assertEquals(overlongTrain + overlongEval, ((Number) m.get("skipped_overlong_questions")).longValue());
        }
        assertEquals(2 * (train.size() - overlongTrain), ((Number) r.iterations().get(1).get("samples")).longValue(),
                "two samples for each question that fits");
        assertEquals(TinyRuns.SPLIT.test().size() - overlongEval,
                ((Number) r.iterations().get(1).get("test_questions")).longValue());
    }

    private static int promptLength(Question q) {
        return TinyRuns.TOKENIZER.encode(PromptFormat.DEFAULT.prompt(q)).length;
    }

    @Test
    void anOverlongPromptIsAnErrorNamingTheQuestionWhenAskedAndNothingIsWritten() {
        Path dir = tmp.resolve("error");
        var e = assertThrows(IllegalArgumentException.class,
                () -> smallContextRun(dir, q -> q).overlongPrompts(OverlongPolicy.ERROR).build());
        assertTrue(e.getMessage().startsWith("trainQuestions: question \""), e.getMessage());
        assertTrue(e.getMessage().contains("leaves no room") && e.getMessage().contains("overlongPrompts"), e.getMessage());
        assertTrue(Files.notExists(dir));
    }

    @Test
    void aRunWhoseEveryPromptIsOverlongIsRejected() {
        Path dir = tmp.resolve("all");
        var e = assertThrows(IllegalArgumentException.class, () -> smallContextRun(dir, q -> {
            List<Question> longest = q.stream().sorted((a, b) -> Integer.compare(promptLength(b), promptLength(a)))
                    .limit(1).toList();
            Question only = longest.get(0);
            return List.of(only, new Question("copy", only.prompt(), only.goldAnswer(), only.goldChain(), only.choices()));
        }).build());
        assertTrue(e.getMessage().contains("trainQuestions") && e.getMessage().contains("every one is longer"),
                e.getMessage());
    }

    @Test
    void moreSettingsOutOfRangeAreNamedAndARejectedConfigurationLeavesAnExistingRunAlone() throws IOException {
        Path dir = tmp.resolve("existing");
        Files.createDirectories(dir.resolve("iter-0"));
        Path kept = dir.resolve("iter-0").resolve("eval.json");
        Files.writeString(kept, "{\"iteration\":0}");
        Map<String, UnaryOperator<IterativeRpo.Builder>> bad = Map.of(
                "beta", b -> b.beta(Double.NaN),
                "nllWeight", b -> b.nllWeight(-1),
                "iterations", b -> b.iterations(0),
                "maxNewTokens", b -> b.maxNewTokens(0),
                "pairsPerQuestion (K)", b -> b.pairsPerQuestion(-3),
                "samplesPerQuestion (N)", b -> b.samplesPerQuestion(0),
                "temperatures", b -> b.temperatures(0.8, Double.POSITIVE_INFINITY),
                "majority vote k", b -> b.majorityVote(-1, 1.0));
        for (var entry : bad.entrySet()) {
            var e = assertThrows(IllegalArgumentException.class,
                    () -> entry.getValue().apply(TinyRuns.preference(dir, TinyRuns.PARITY)).build(), entry.getKey());
            assertTrue(e.getMessage().startsWith("invalid setting " + entry.getKey() + ":"), e.getMessage());
        }
        assertEquals("{\"iteration\":0}", Files.readString(kept));
        try (var files = Files.walk(dir)) {
            assertEquals(3, files.count(), "a rejected configuration wrote into the run directory");
        }
    }
}
