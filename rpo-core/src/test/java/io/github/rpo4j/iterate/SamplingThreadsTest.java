package io.github.rpo4j.iterate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.github.rpo4j.data.JsonlReader;
import io.github.rpo4j.data.NumericAnswerExtractor;
import io.github.rpo4j.data.Question;
import io.github.rpo4j.data.Verifier;
import io.github.rpo4j.generate.SamplingBackend;
import io.github.rpo4j.model.ModelDirectory;
import io.github.rpo4j.model.TransformerLM;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The loop's and the evaluator's results do not depend on how many threads sample. */
class SamplingThreadsTest {

    @TempDir
    Path tmp;

    /** What an evaluation computed, and every completion it judged, in the order judged. */
    private record Judged(Evaluation evaluation, List<String> completions) {
    }

    private static Judged evaluate(SamplingBackend backend, TransformerLM model, List<Question> questions) {
        List<String> judged = new ArrayList<>();
        Verifier recording = (q, completion) -> {
            judged.add(q.id() + ": " + completion);
            return TinyRuns.PARITY.isCorrect(q, completion);
        };
        // One question per chunk: two requests per question (greedy, then the vote's samples), many for the workers.
        Evaluator evaluator = new Evaluator(recording, new NumericAnswerExtractor()::extract, PromptFormat.DEFAULT, 1);
        Evaluation e = evaluator.evaluate(backend, model, TinyRuns.TOKENIZER, questions, 12, 3, 1.3, 7);
        return new Judged(e, judged);
    }

    @Test
    void anEvaluationIsTheSameOnOneTwoAndThreeThreads() {
        TransformerLM model = TinyRuns.model(224);
        List<Question> questions = TinyRuns.SPLIT.train(); // six questions: twelve requests
        Judged one = evaluate(SamplingBackend.local(), model, questions);
        assertNotEquals(0, one.evaluation().greedyCorrect() + one.evaluation().majorityCorrect());
        for (int threads : new int[] {2, 3}) {
            Judged many = evaluate(SamplingBackend.local(threads), model, questions);
            assertEquals(one.completions(), many.completions(), threads + " threads");
            assertEquals(one.evaluation().greedyCorrect(), many.evaluation().greedyCorrect());
            assertEquals(one.evaluation().majorityCorrect(), many.evaluation().majorityCorrect());
            assertArrayEquals(one.evaluation().greedyCorrectIds(), many.evaluation().greedyCorrectIds());
        }
    }

    @Test
    void aRunIsTheSameOnOneThreadAndOnSeveralForSamplingAndTraining() throws IOException {
        // Training on two gradient shards (the default): one thread runs them in turn, two at once.
        RunDirectory one = run("one", 1, 1);
        RunDirectory three = run("three", 3, 2);
        for (int t = 0; t <= 1; t++) {
            if (t > 0) {
                assertEquals(Files.readString(one.samples(t)), Files.readString(three.samples(t)), "samples " + t);
                assertEquals(Files.readString(one.pairs(t)), Files.readString(three.pairs(t)), "pairs " + t);
            }
            assertArrayEquals(Files.readAllBytes(one.model(t).resolve(ModelDirectory.WEIGHTS)),
                    Files.readAllBytes(three.model(t).resolve(ModelDirectory.WEIGHTS)), "model " + t);
        }
        List<Map<String, Object>> expected = metrics(one);
        List<Map<String, Object>> actual = metrics(three);
        assertEquals(2, expected.size());
        for (int t = 0; t < expected.size(); t++) {
            expected.get(t).remove("seconds");
            actual.get(t).remove("seconds");
            assertEquals(RunDirectory.JSON.valueToTree(expected.get(t)), RunDirectory.JSON.valueToTree(actual.get(t)),
                    "metrics of iteration " + t);
        }
    }

    @Test
    void riseAndSCoReAreTheSameOnOneAndThreeSamplingThreads() throws IOException {
        for (String loop : List.of("rise", "score")) {
            RunDirectory one = selfCorrecting(loop, 1);
            RunDirectory three = selfCorrecting(loop, 3);
            assertEquals(Files.readString(one.samples(1)), Files.readString(three.samples(1)), loop + " rollouts");
            assertArrayEquals(Files.readAllBytes(one.model(1).resolve(ModelDirectory.WEIGHTS)),
                    Files.readAllBytes(three.model(1).resolve(ModelDirectory.WEIGHTS)), loop + " model");
            List<Map<String, Object>> expected = metrics(one);
            List<Map<String, Object>> actual = metrics(three);
            for (int t = 0; t < expected.size(); t++) {
                expected.get(t).remove("seconds");
                actual.get(t).remove("seconds");
                assertEquals(RunDirectory.JSON.valueToTree(expected.get(t)),
                        RunDirectory.JSON.valueToTree(actual.get(t)), loop + " metrics of iteration " + t);
            }
            String selfCorrection = loop.equals("rise") ? "turn_accuracy" : "acc_t2";
            assertTrue(metrics(one).get(1).containsKey(selfCorrection), "the self-correction evaluation ran");
        }
    }

    /** One iteration of the tiny RISE or SCoRe run, each question its own sampling request. */
    private RunDirectory selfCorrecting(String loop, int samplingThreads) throws IOException {
        Path dir = tmp.resolve(loop + "-" + samplingThreads);
        if (loop.equals("rise")) {
            TinyRuns.rise(dir, TinyRuns.PARITY).iterations(1).sampleChunkQuestions(1).samplingThreads(samplingThreads)
                    .build().run();
        } else {
            TinyRuns.score(dir, TinyRuns.PARITY).stages(1, 0).sampleChunkQuestions(1).samplingThreads(samplingThreads)
                    .build().run();
        }
        return new RunDirectory(dir);
    }

    /** One iteration of the tiny preference run, each question its own sampling request. */
    private RunDirectory run(String name, int samplingThreads, int trainingThreads) throws IOException {
        Path dir = tmp.resolve(name);
        TinyRuns.preference(dir, TinyRuns.PARITY).iterations(1).sampleChunkQuestions(1)
                .samplingThreads(samplingThreads).trainingThreads(trainingThreads).build().run();
        return new RunDirectory(dir);
    }

    private static List<Map<String, Object>> metrics(RunDirectory run) throws IOException {
        return JsonlReader.readAll(run.metrics(), rec -> {
            @SuppressWarnings("unchecked")
            Map<String, Object> m = RunDirectory.JSON.convertValue(rec.json(), Map.class);
            return m;
        });
    }
}
