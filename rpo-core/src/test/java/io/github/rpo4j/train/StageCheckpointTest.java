package io.github.rpo4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.rpo4j.io.SafeTensors;
import io.github.rpo4j.losses.NllNormalization;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.testing.KillableChild;
import io.github.rpo4j.text.CharTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** In-stage checkpoints: a training stage killed mid-way resumes and ends bit for bit where an uninterrupted one does. */
class StageCheckpointTest {

    private static final long ATTEMPT_TIMEOUT_SECONDS = 120;

    @TempDir
    Path tmp;

    private record Attempt(List<String> lines, boolean killed) {
    }

    @Test
    void aStageKilledMidWayResumesFromItsCheckpointAndEndsBitForBitAsAnUninterruptedOne() throws Exception {
        Path straight = tmp.resolve("straight");
        Attempt reference = attempt(straight, 0);
        assertTrue(reference.lines().contains("FINISHED"), reference.lines().toString());

        Path killed = tmp.resolve("killed");
        // Checkpoints after steps 3 and 6; killed after step 7, so step 7 is lost and redone.
        Attempt first = attempt(killed, 7);
        assertTrue(first.killed());
        Path checkpoint = killed.resolve("checkpoint").resolve(StageCheckpoint.FILE_NAME);
        Map<String, String> meta = SafeTensors.readMetadata(checkpoint);
        assertEquals("6", meta.get("steps_done"));
        assertEquals("1", meta.get("epoch"), "12 steps in 2 epochs: step 7 is the first of the second");
        assertEquals("0", meta.get("batch_in_epoch"));
        assertEquals("6", meta.get("adamw_step"));

        Attempt second = attempt(killed, 0);
        assertTrue(second.lines().contains("FINISHED"), second.lines().toString());
        assertEquals("STEP 7", second.lines().get(0), "resumes after the checkpoint's step 6: " + second.lines());
        assertEquals(CrashableTraining.TOTAL_STEPS - 6, second.lines().stream().filter(l -> l.startsWith("STEP ")).count());

        assertEquals(-1L, Files.mismatch(straight.resolve("final.safetensors"), killed.resolve("final.safetensors")),
                "the resumed stage's parameters differ from the uninterrupted stage's");
        assertEquals(Files.readString(straight.resolve("history.json")), Files.readString(killed.resolve("history.json")),
                "the resumed stage reports every step, with the uninterrupted stage's metrics");
    }

    @Test
    void aCheckpointOfAnotherStageIsRefusedAndKept() throws IOException {
        CharTokenizer tokenizer = CrashableTraining.tokenizer();
        Path dir = tmp.resolve("ckpt");
        TrainingSettings ts = CrashableTraining.settings().withMaxSteps(4);
        new SftTrainer(CrashableTraining.model(tokenizer), tokenizer, ts, NllNormalization.BATCH_TOKEN_MEAN)
                .withCheckpoints(dir).train(CrashableTraining.examples(3), "first");
        Path file = dir.resolve(StageCheckpoint.FILE_NAME);
        byte[] before = Files.readAllBytes(file);
        SftTrainer other = new SftTrainer(CrashableTraining.model(tokenizer), tokenizer, ts,
                NllNormalization.BATCH_TOKEN_MEAN).withCheckpoints(dir);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> other.train(CrashableTraining.examples(4),
                "second"));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("another training stage"),
                e.getMessage());
        assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(file)), "the refused checkpoint is kept as it was");
    }

    @Test
    void aFinishedStepCountBelowTheIntervalWritesNoCheckpoint() throws IOException {
        CharTokenizer tokenizer = CrashableTraining.tokenizer();
        Path dir = tmp.resolve("none");
        TransformerLM model = CrashableTraining.model(tokenizer);
        new SftTrainer(model, tokenizer, CrashableTraining.settings().withMaxSteps(CrashableTraining.CHECKPOINT_STEPS),
                NllNormalization.BATCH_TOKEN_MEAN).withCheckpoints(dir).train(CrashableTraining.examples(3), "short");
        assertTrue(!Files.exists(dir.resolve(StageCheckpoint.FILE_NAME)),
                "the last step is the caller's to keep; no checkpoint is written after it");
    }

    @Test
    void theIntervalIsByTimeOrStepsWhicheverComesFirst() {
        long second = 1_000_000_000L;
        TrainingSettings.CheckpointInterval both = new TrainingSettings.CheckpointInterval(300, 50);
        assertTrue(!both.due(299 * second, 49));
        assertTrue(both.due(300 * second, 1));
        assertTrue(both.due(1, 50));
        TrainingSettings.CheckpointInterval timeOnly = new TrainingSettings.CheckpointInterval(60, 0);
        assertTrue(!timeOnly.due(59 * second, 1_000_000) && timeOnly.due(60 * second, 0));
        assertEquals(TrainingSettings.CheckpointInterval.DEFAULT, TrainingSettings.defaults(1e-3).checkpointEvery());
        IllegalArgumentException never = assertThrows(IllegalArgumentException.class,
                () -> new TrainingSettings.CheckpointInterval(0, 0));
        assertTrue(never.getMessage().contains("seconds or steps"), never.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new TrainingSettings.CheckpointInterval(-1, 5));
    }

    private Attempt attempt(Path dir, int stopAfter) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path log = tmp.resolve("child-" + System.nanoTime() + ".log");
        KillableChild.Outcome o = KillableChild.runUntilStopped(KillableChild.start(CrashableTraining.class, Map.of(),
                log, dir.toString(), Integer.toString(stopAfter)), ATTEMPT_TIMEOUT_SECONDS);
        if (stopAfter > 0 && !o.killed()) {
            fail("the child ended without reaching step " + stopAfter + "; output " + o.lines() + "; stderr:\n"
                    + Files.readString(log));
        }
        if (stopAfter == 0 && o.exitCode() != 0) {
            fail("the child exited with " + o.exitCode() + "; stderr:\n" + Files.readString(log));
        }
        return new Attempt(o.lines(), o.killed());
    }
}
