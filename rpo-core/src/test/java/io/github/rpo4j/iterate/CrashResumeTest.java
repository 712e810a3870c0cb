package io.github.rpo4j.iterate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.rpo4j.data.JsonlReader;
import io.github.rpo4j.data.Question;
import io.github.rpo4j.model.ModelDirectory;
import io.github.rpo4j.testing.KillableChild;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a real run process with SIGKILL at every kind of stage boundary and inside stages, reruns the same
 * command each time, and checks that every rerun continues where the last one stopped and that the run
 * finishes with the metrics of a run that was never interrupted.
 */
class CrashResumeTest {

    /** A killed attempt that never reaches its stop point fails the test instead of hanging the build. */
    private static final long ATTEMPT_TIMEOUT_SECONDS = 120;

    @TempDir
    Path tmp;

    /** What one attempt printed and how it ended. */
    private record Attempt(List<String> lines, boolean killed, int exitCode) {
        boolean printed(String line) {
            return lines.contains(line);
        }

        Set<String> sampled(int iteration) {
            return lines.stream().filter(l -> l.startsWith("SAMPLED " + iteration + " "))
                    .map(l -> l.substring(l.lastIndexOf(' ') + 1)).collect(Collectors.toSet());
        }
    }

    @Test
    void aRunKilledAtEveryStageFinishesWithTheMetricsOfAnUninterruptedRun() throws Exception {
        RunResult straight = TinyRuns.preference(tmp.resolve("straight"), TinyRuns.PARITY).build().run();

        Path dir = tmp.resolve("killed");
        RunDirectory run = new RunDirectory(dir);
        List<Question> train = TinyRuns.train();
        Set<String> firstChunk = train.subList(0, TinyRuns.SAMPLE_CHUNK).stream().map(Question::id)
                .collect(Collectors.toSet());

        // Mid-sampling: the first chunk of questions is on disk, the rest is not.
        Attempt a = attempt(dir, "1 sampling");
        assertTrue(Files.exists(run.evaluation(0)) && Files.notExists(run.samples(1)));
        assertEquals(TinyRuns.SAMPLE_CHUNK * TinyRuns.SAMPLES_PER_QUESTION, nonBlankLines(run.partialSamples(1)));
        assertEquals(firstChunk, a.sampled(1).stream().filter(firstChunk::contains).collect(Collectors.toSet()));

        // The rerun samples only the questions the killed attempt had not finished, then stops after the pairs.
        a = attempt(dir, "1 pairs-written");
        assertTrue(a.printed("SKIPPED 0 evaluate"));
        assertTrue(a.sampled(1).stream().noneMatch(firstChunk::contains), "finished questions were sampled again: "
                + a.sampled(1));
        assertFalse(a.sampled(1).isEmpty());
        assertTrue(Files.exists(run.samples(1)) && Files.notExists(run.partialSamples(1)) && Files.exists(run.pairs(1)));
        assertTrue(Files.notExists(run.training(1)) && Files.notExists(run.model(1)));

        // Mid-training: one optimiser step happened in memory only.
        a = attempt(dir, "1 trained-one-step");
        assertTrue(a.printed("SKIPPED 1 sample") && a.sampled(1).isEmpty());
        assertTrue(Files.notExists(run.training(1)) && Files.notExists(run.model(1)));

        // After the checkpoint: training restarted from M0 and its result was published.
        a = attempt(dir, "1 checkpointed");
        assertTrue(a.printed("STAGE 1 train"));
        assertTrue(ModelDirectory.isComplete(run.model(1)) && Files.exists(run.training(1)));
        assertTrue(Files.notExists(run.evaluation(1)));

        // Mid-evaluation: the checkpoint is reused, the evaluation is not yet written.
        a = attempt(dir, "1 evaluating");
        assertTrue(a.printed("SKIPPED 1 train") && !a.printed("STAGE 1 train"));
        assertTrue(Files.notExists(run.evaluation(1)));
        assertEquals(1, nonBlankLines(run.metrics()));

        // Mid-sampling again, in the second iteration, which samples from the M1 read back from disk.
        a = attempt(dir, "2 sampling");
        assertTrue(Files.exists(run.evaluation(1)) && Files.notExists(run.samples(2)));
        assertEquals(2, nonBlankLines(run.metrics()));

        a = attempt(dir, "");
        assertEquals(0, a.exitCode(), "the final attempt failed: " + a.lines());
        assertTrue(a.printed("FINISHED") && a.printed("SKIPPED 1 iteration"));

        List<Map<String, Object>> metrics = readMetrics(run.metrics());
        assertEquals(3, metrics.size());
        for (int t = 0; t <= 2; t++) {
            Map<String, Object> expected = straight.iterations().get(t);
            assertEquals(t, ((Number) metrics.get(t).get("iteration")).intValue());
            for (String key : List.of("test_accuracy", "maj_at_k_accuracy", "sample_accuracy", "train_pairs")) {
                assertEquals(expected.get(key), metrics.get(t).get(key), key + " of iteration " + t);
            }
        }
        assertEquals(List.of(), leftovers(dir), "temporary files were left behind");
    }

    @Test
    void aSecondProcessIsRefusedWhileARunHoldsTheDirectoryAndAKillLeavesNoStaleLock() throws Exception {
        Path dir = tmp.resolve("locked");
        Process child = KillableChild.start(CrashableRun.class, Map.of(CrashableRun.STOP_AT, "1 sampling"), null,
                dir.toString());
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null && !line.startsWith(KillableChild.STOP_LINE)) {
                // the child now holds the lock and waits at its stop point
            }
            assertTrue(line != null, "the child ended before its stop point");
            IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                    () -> TinyRuns.preference(dir, TinyRuns.PARITY).build().run());
            assertTrue(e.getMessage().contains("in use by another run"), e.getMessage());
            assertTrue(Files.exists(new RunDirectory(dir).partialSamples(1)), "the refused run left the live one's files");
        } finally {
            child.destroyForcibly();
            child.waitFor();
        }
        try (RunDirectory.Lock lock = new RunDirectory(dir).lock()) {
            assertTrue(lock != null, "SIGKILL released the lock");
        }
    }

    /** Runs the child to its stop point and kills it there, or (with no stop point) to the end. */
    private Attempt attempt(Path dir, String stopAt) throws IOException, InterruptedException {
        return attempt(dir, "rpo", stopAt);
    }

    /**
     * RISE and SCoRe killed mid-collection, after their data is on disk, mid-training (RISE) or while the reference
     * is computed (SCoRe), after the checkpoint, mid-evaluation and in the second iteration: every metric of every
     * evaluated model, training metrics of a skipped training stage included, equals an uninterrupted run's.
     */
    @Test
    void riseKilledAtEveryStageFinishesWithTheMetricsOfAnUninterruptedRun() throws Exception {
        RunResult straight = TinyRuns.rise(tmp.resolve("straight-rise"), TinyRuns.PARITY).build().run();
        killAtEveryStageAndCompare(straight, "rise", "1 trained-one-step");
    }

    @Test
    void scoreKilledAtEveryStageFinishesWithTheMetricsOfAnUninterruptedRun() throws Exception {
        RunResult straight = TinyRuns.score(tmp.resolve("straight-score"), TinyRuns.PARITY).build().run();
        killAtEveryStageAndCompare(straight, "score", "1 reference");
    }

    private void killAtEveryStageAndCompare(RunResult straight, String method, String midTraining) throws Exception {
        Path dir = tmp.resolve("killed-" + method);
        RunDirectory run = new RunDirectory(dir);

        // Mid-collection: the episodes or rollouts are published at the end of the stage, so nothing is on disk.
        Attempt a = attempt(dir, method, "1 sampling");
        assertTrue(Files.exists(run.evaluation(0)) && Files.notExists(run.samples(1)));

        // After the data: training has started.
        a = attempt(dir, method, midTraining);
        assertTrue(a.printed("SKIPPED 0 evaluate") && a.printed("STAGE 1 sample"));
        assertTrue(Files.exists(run.samples(1)) && Files.notExists(run.model(1)) && Files.notExists(run.training(1)));

        // After the checkpoint: the data is reused, the model trained again from M0 and published.
        a = attempt(dir, method, "1 checkpointed");
        assertTrue(a.printed("SKIPPED 1 sample") && a.printed("STAGE 1 train"));
        assertTrue(ModelDirectory.isComplete(run.model(1)) && Files.exists(run.training(1)));

        // Mid-evaluation: training is skipped, its metrics are read back from train.json.
        a = attempt(dir, method, "1 evaluating");
        assertTrue(a.printed("SKIPPED 1 train") && !a.printed("STAGE 1 train"));
        assertTrue(Files.notExists(run.evaluation(1)));

        // Mid-collection of the second iteration, from the M1 read back from disk.
        a = attempt(dir, method, "2 sampling");
        assertTrue(Files.exists(run.evaluation(1)) && Files.notExists(run.samples(2)));

        a = attempt(dir, method, "");
        assertTrue(a.printed("FINISHED") && a.printed("SKIPPED 1 iteration"));

        List<Map<String, Object>> metrics = readMetrics(run.metrics());
        assertEquals(straight.iterations().size(), metrics.size());
        for (int t = 0; t < metrics.size(); t++) {
            Map<String, Object> expected = new java.util.TreeMap<>(straight.iterations().get(t));
            Map<String, Object> actual = new java.util.TreeMap<>(metrics.get(t));
            RunBookkeeping.PER_QUESTION_KEYS.forEach(expected::remove);
            expected.remove("seconds");
            actual.remove("seconds");
            assertEquals(RunDirectory.JSON.valueToTree(expected), RunDirectory.JSON.valueToTree(actual),
                    method + ": metrics of iteration " + t);
        }
        assertTrue(((Number) metrics.get(1).get("train_questions_used")) != null || method.equals("score"),
                "a skipped training stage reports its questions");
        assertEquals(List.of(), leftovers(dir), "temporary files were left behind");
    }

    private Attempt attempt(Path dir, String method, String stopAt) throws IOException, InterruptedException {
        Path log = tmp.resolve("child-" + System.nanoTime() + ".log");
        KillableChild.Outcome o = KillableChild.runUntilStopped(KillableChild.start(CrashableRun.class,
                Map.of(CrashableRun.STOP_AT, stopAt), log, dir.toString(), method), ATTEMPT_TIMEOUT_SECONDS);
        if (!stopAt.isEmpty() && !o.killed()) {
            fail("attempt stopping at \"" + stopAt + "\" ended (exit " + o.exitCode() + ") without reaching it; output "
                    + o.lines() + "; stderr:\n" + Files.readString(log));
        }
        if (stopAt.isEmpty() && o.exitCode() != 0) {
            fail("the final attempt exited with " + o.exitCode() + "; stderr:\n" + Files.readString(log));
        }
        return new Attempt(o.lines(), o.killed(), o.exitCode());
    }

    private static long nonBlankLines(Path file) throws IOException {
        try (Stream<String> lines = Files.lines(file)) {
            return lines.filter(l -> !l.isBlank()).count();
        }
    }

    private static List<Map<String, Object>> readMetrics(Path file) throws IOException {
        return JsonlReader.readAll(file, rec -> {
            @SuppressWarnings("unchecked")
            Map<String, Object> m = RunDirectory.JSON.convertValue(rec.json(), Map.class);
            return m;
        });
    }

    /** Temporary files and directories of AtomicFiles, JsonlWriter and publishDirectory. */
    private static List<Path> leftovers(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            return paths.filter(p -> p.getFileName().toString().contains(".tmp")
                    || p.getFileName().toString().contains(".old-")).collect(Collectors.toList());
        }
    }
}
