package io.github.rpo4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.rpo4j.generate.SamplingBackend;
import io.github.rpo4j.generate.SamplingRequest;
import io.github.rpo4j.iterate.RunDirectory;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.text.Tokenizer;
import io.github.rpo4j.iterate.RunResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A whole run with sampling and evaluation on Spark (local mode) against the same run in one JVM. */
class SparkIterativeRpoTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void aRunSamplingOnSparkWritesTheLocalRunsSamplesPairsAndMetrics() throws IOException {
        RunResult local = TinySetup.run(tmp.resolve("local")).build().run();
        RunResult spark = TinySetup.run(tmp.resolve("spark"))
                .sampler(SparkSampling.on(LocalSpark.session()).tasksPerWave(2)).build().run();
        assertEquals(3, spark.iterations().size());

        RunDirectory a = new RunDirectory(tmp.resolve("local"));
        RunDirectory b = new RunDirectory(tmp.resolve("spark"));
        for (int t = 1; t <= 2; t++) {
            assertSameBytes(a.samples(t), b.samples(t));
            assertSameBytes(a.pairs(t), b.pairs(t));
            assertSameBytes(a.pairStats(t), b.pairStats(t));
            assertSameBytes(a.model(t).resolve("model.safetensors"), b.model(t).resolve("model.safetensors"));
        }
        // metrics.jsonl: every field but the stage's wall-clock seconds.
        List<JsonNode> expected = metricsWithoutSeconds(a.metrics());
        List<JsonNode> actual = metricsWithoutSeconds(b.metrics());
        assertEquals(expected, actual);
        assertTrue(expected.get(2).has("test_accuracy") && expected.get(2).has("maj_at_k_accuracy"));
    }

    /**
     * A driver that stops, as a killed one would, in its {@code call}-th use of the backend (counting from 1) after
     * receiving {@code chunks} chunks' samples.
     */
    private static SamplingBackend stoppingIn(SamplingBackend backend, int call, int chunks) {
        return new SamplingBackend() {
            private int calls;

            @Override
            public void generate(TransformerLM model, Tokenizer tokenizer, List<SamplingRequest> requests,
                                 ResultConsumer consumer) throws IOException {
                calls++;
                int[] received = new int[1];
                backend.generate(model, tokenizer, requests, (index, samples) -> {
                    if (calls == call && received[0] == chunks) {
                        throw new DriverStopped();
                    }
                    received[0]++;
                    consumer.accept(index, samples);
                });
            }

            @Override
            public String describe() {
                return backend.describe() + ", stopping in call " + call + " after " + chunks + " chunks";
            }
        };
    }

    private static final class DriverStopped extends RuntimeException {
        DriverStopped() {
            super("driver stopped");
        }
    }

    @Test
    void aDriverStoppedMidSamplingResumesOnSparkToTheLocalRunsResult() throws IOException {
        TinySetup.run(tmp.resolve("local")).build().run();
        Path dir = tmp.resolve("resumed");
        SparkSampling spark = SparkSampling.on(LocalSpark.context()).tasksPerWave(2);
        // The backend's first call evaluates M0; the second samples iteration 1: 3 chunks of 2 questions, and the driver
        // stops after the first wave's 2 chunks.
        assertThrows(DriverStopped.class,
                () -> TinySetup.run(dir).sampler(stoppingIn(spark, 2, 2)).build().run());
        RunDirectory b = new RunDirectory(dir);
        assertTrue(Files.exists(b.partialSamples(1)) && Files.notExists(b.samples(1)));
        assertEquals(2 * 2 * 4, Files.readAllLines(b.partialSamples(1)).size(), "two chunks' samples kept");

        TinySetup.run(dir).sampler(spark).build().run();
        RunDirectory a = new RunDirectory(tmp.resolve("local"));
        for (int t = 1; t <= 2; t++) {
            assertSameBytes(a.samples(t), b.samples(t));
            assertSameBytes(a.pairs(t), b.pairs(t));
        }
        assertEquals(metricsWithoutSeconds(a.metrics()), metricsWithoutSeconds(b.metrics()));
    }

    @Test
    void riseAndSCoReOnSparkWriteTheLocalRunsRolloutsModelsAndMetrics() throws IOException {
        SparkSampling spark = SparkSampling.on(LocalSpark.session()).tasksPerWave(2);
        for (String loop : List.of("rise", "score")) {
            Path local = tmp.resolve(loop + "-local");
            Path onSpark = tmp.resolve(loop + "-spark");
            TinySetup.runSelfCorrecting(loop, local, SamplingBackend.local());
            TinySetup.runSelfCorrecting(loop, onSpark, spark);
            RunDirectory a = new RunDirectory(local);
            RunDirectory b = new RunDirectory(onSpark);
            for (int t = 1; t <= 2; t++) {
                assertSameBytes(a.samples(t), b.samples(t));
                assertSameBytes(a.model(t).resolve("model.safetensors"), b.model(t).resolve("model.safetensors"));
            }
            assertEquals(metricsWithoutSeconds(a.metrics()), metricsWithoutSeconds(b.metrics()), loop);
        }
    }

    private static void assertSameBytes(Path expected, Path actual) throws IOException {
        assertTrue(Files.size(expected) > 0, expected + " is empty");
        assertArrayEquals(Files.readAllBytes(expected), Files.readAllBytes(actual), actual.toString());
    }

    private static List<JsonNode> metricsWithoutSeconds(Path file) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            if (!line.isBlank()) {
                ObjectNode n = (ObjectNode) JSON.readTree(line);
                assertTrue(n.has("seconds"), file + " lacks seconds");
                n.remove("seconds");
                out.add(n);
            }
        }
        assertEquals(3, out.size(), file + ": M0 and two iterations");
        return out;
    }
}
