package io.github.rpo4j.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * iterate --spark-master local[2] against the same command without it. Runs in this module's spark-local-mode test
 * execution, whose classpath holds Spark and Spark's Jackson, as spark-submit's does.
 */
@Tag("spark")
class SparkIterateCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path temp;

    @Test
    void sparkMasterLocal2WritesTheLocalRunsSamplesPairsModelAndMetrics() throws IOException {
        Path model = IterateFixture.model(temp);
        List<Path> questions = IterateFixture.questions(temp);
        Path local = temp.resolve("local");
        Path spark = temp.resolve("spark");
        Rpo4jCliTest.Run a = Rpo4jCliTest.run(IterateFixture.iterate(model, questions, local));
        assertEquals(0, a.exitCode(), a.err());

        // The session the command joins (as under spark-submit), counting the tasks that ran.
        TaskCountingSparkSession session = TaskCountingSparkSession.start("local[2]");
        Rpo4jCliTest.Run b = Rpo4jCliTest.run(IterateFixture.iterate(model, questions, spark,
                "--spark-master", "local[2]"));
        assertEquals(0, b.exitCode(), b.err());
        assertTrue(session.isStopped(), "the command stops its session");
        // Stopping drains the listener bus. One sampling request (4 questions in one chunk), and a greedy and a
        // majority-vote request for each of the two evaluations (M0, M1): one task each.
        assertEquals(5, session.tasksEnded(), "Spark tasks");

        for (String file : List.of("iter-1/samples.jsonl", "iter-1/pairs.jsonl", "iter-1/model/model.safetensors")) {
            byte[] expected = Files.readAllBytes(local.resolve(file));
            assertTrue(expected.length > 0, file + " is empty");
            assertArrayEquals(expected, Files.readAllBytes(spark.resolve(file)), file);
        }
        List<ObjectNode> expected = metricsWithoutSeconds(local.resolve("metrics.jsonl"));
        assertEquals(2, expected.size(), "M0 and iteration 1");
        assertTrue(expected.get(1).get("train_pairs").asInt() > 0, "the iteration trained: " + expected.get(1));
        assertTrue(expected.get(1).has("maj_at_k_accuracy"), expected.get(1).toString());
        assertEquals(expected, metricsWithoutSeconds(spark.resolve("metrics.jsonl")));
    }

    private static List<ObjectNode> metricsWithoutSeconds(Path file) throws IOException {
        List<ObjectNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            ObjectNode n = (ObjectNode) JSON.readTree(line);
            n.remove("seconds");
            out.add(n);
        }
        return out;
    }
}
