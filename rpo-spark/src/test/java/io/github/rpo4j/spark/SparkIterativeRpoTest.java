package io.github.rpo4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.rpo4j.iterate.RunDirectory;
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
                .samplingBackend(SparkSampling.on(LocalSpark.context()).tasksPerWave(2)).build().run();
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
