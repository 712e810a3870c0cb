package io.github.rpo4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rpo4j.data.Question;
import io.github.rpo4j.generate.Sample;
import io.github.rpo4j.generate.SamplingBackend;
import io.github.rpo4j.generate.SamplingRequest;
import io.github.rpo4j.generate.SamplingSettings;
import io.github.rpo4j.iterate.Evaluation;
import io.github.rpo4j.iterate.Evaluator;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.iterate.PromptFormat;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.TaskFailedReason;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.junit.jupiter.api.Test;

class SparkSamplingTest {

    private final TransformerLM model = TinySetup.model();

    /** Seven chunks of questions with their own seeds, as the loop's sampling stage asks for them. */
    private List<SamplingRequest> requests() {
        List<Question> questions = TinySetup.questions(13);
        List<SamplingRequest> requests = new ArrayList<>();
        for (int from = 0; from < questions.size(); from += 2) {
            List<int[]> prompts = new ArrayList<>();
            for (Question q : questions.subList(from, Math.min(questions.size(), from + 2))) {
                prompts.add(TinySetup.TOKENIZER.encode(PromptFormat.DEFAULT.prompt(q)));
            }
            SamplingSettings settings = SamplingSettings.sampling(1.3, 10, 1000 + from).withTopK(from % 4 == 0 ? 0 : 5);
            requests.add(new SamplingRequest(prompts, 3, settings));
        }
        return requests;
    }

    private static Map<Integer, List<List<Sample>>> draw(SamplingBackend backend, TransformerLM model,
                                                         List<SamplingRequest> requests) throws IOException {
        Map<Integer, List<List<Sample>>> out = new TreeMap<>();
        List<Integer> order = new ArrayList<>();
        backend.generate(model, TinySetup.TOKENIZER, requests, (index, samples) -> {
            order.add(index);
            out.put(index, samples);
        });
        List<Integer> expectedOrder = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) {
            expectedOrder.add(i);
        }
        assertEquals(expectedOrder, order, "results are handed on in request order, each once");
        return out;
    }

    private static void assertSame(Map<Integer, List<List<Sample>>> local, Map<Integer, List<List<Sample>>> spark) {
        assertEquals(local.keySet(), spark.keySet());
        for (int i : local.keySet()) {
            TinySetup.assertSameSamples(local.get(i), spark.get(i), "request " + i);
        }
    }

    @Test
    void everyRequestGetsTheLocalSamplesWhateverThePartitioning() throws IOException {
        List<SamplingRequest> requests = requests();
        Map<Integer, List<List<Sample>>> local = draw(SamplingBackend.local(), model, requests);
        // One request per task in waves of two tasks (four waves), and three requests per task in one wave.
        assertSame(local, draw(SparkSampling.on(LocalSpark.context()).tasksPerWave(2), model, requests));
        assertSame(local, draw(SparkSampling.on(LocalSpark.context()).requestsPerTask(3).tasksPerWave(4), model,
                requests));
    }

    @Test
    void aFailedTaskIsRetriedAndGivesTheSameSamples() throws IOException {
        List<SamplingRequest> requests = requests();
        Map<Integer, List<List<Sample>>> local = draw(SamplingBackend.local(), model, requests);

        AtomicInteger failedTasks = new AtomicInteger();
        SparkListener counter = new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                if (end.reason() instanceof TaskFailedReason) {
                    failedTasks.incrementAndGet();
                }
            }
        };
        LocalSpark.context().sc().addSparkListener(counter);
        try {
            // The first attempt of the second task of every wave fails before it draws. Seven requests in waves of
            // three tasks: waves of 3, 3 and 1 tasks, so two waves have a second task.
            SparkSampling failing = SparkSampling.on(LocalSpark.context()).tasksPerWave(3).withTaskStartHook(
                    (stage, partition, attempt) -> {
                        if (partition == 1 && attempt == 0) {
                            throw new IllegalStateException("injected failure of task " + partition + " of stage " + stage);
                        }
                    });
            assertSame(local, draw(failing, model, requests));
            // Listener events arrive asynchronously.
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (failedTasks.get() < 2 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertEquals(2, failedTasks.get(), "failed task attempts");
        } finally {
            LocalSpark.context().sc().removeSparkListener(counter);
        }
    }

    @Test
    void evaluationOnSparkEqualsTheLocalEvaluation() {
        List<Question> questions = TinySetup.questions(9);
        Evaluator evaluator = new Evaluator(TinySetup.PARITY, new io.github.rpo4j.data.NumericAnswerExtractor()::extract,
                PromptFormat.DEFAULT, 4);
        Evaluation local = evaluator.evaluate(model, TinySetup.TOKENIZER, questions, 10, 5, 1.2, 77);
        Evaluation spark = evaluator.evaluate(SparkSampling.on(LocalSpark.context()), model, TinySetup.TOKENIZER,
                questions, 10, 5, 1.2, 77);
        assertEquals(local.questions(), spark.questions());
        assertEquals(local.greedyCorrect(), spark.greedyCorrect());
        assertEquals(local.majorityCorrect(), spark.majorityCorrect());
        assertEquals(local.k(), spark.k());
        assertArrayEquals(local.greedyCorrectIds(), spark.greedyCorrectIds());
        // The parity verifier calls about half of anything correct: a test on all-wrong answers would prove little.
        assertTrue(local.greedyCorrect() > 0 || local.majorityCorrect() > 0, "some answer counted correct");
    }
}
