package io.github.rpo4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProgressTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void aFastRedirectedTaskLogsATenthAtATime() {
        List<String> lines = new ArrayList<>();
        long[] now = {0};
        try (Progress p = new Progress("iter 1 train", 1000, Progress.Mode.LOG_LINES, lines::add, () -> now[0])) {
            for (int i = 0; i < 1000; i++) {
                now[0] += SECOND / 100; // 10 s in all: no line is due by time
                p.step();
                p.setExtraMessage(" loss 0.5000");
            }
        }
        // 100, 200, ..., 900 and the final line at close
        assertEquals(10, lines.size(), String.join("\n", lines));
        assertEquals("iter 1 train: 100/1000 (10%), 0:00:01 elapsed, loss 0.5000", lines.get(0));
        assertEquals("iter 1 train: 1000/1000 (100%), 0:00:10 elapsed, loss 0.5000", lines.get(9));
    }

    @Test
    void aSlowRedirectedTaskLogsAboutOnceAMinute() {
        List<String> lines = new ArrayList<>();
        long[] now = {0};
        try (Progress p = new Progress("sample", 10_000, Progress.Mode.LOG_LINES, lines::add, () -> now[0])) {
            for (int i = 0; i < 10_000; i++) {
                now[0] += SECOND; // 10 000 s: 166 minutes
                p.step();
            }
        }
        int bound = 11 + 10_000 / 60;
        assertTrue(lines.size() <= bound && lines.size() >= 10_000 / 60, lines.size() + " lines, bound " + bound);
    }

    @Test
    void hiddenProgressWritesNothing() {
        List<String> lines = new ArrayList<>();
        try (Progress p = new Progress("x", 10, Progress.Mode.NONE, lines::add, System::nanoTime)) {
            for (int i = 0; i < 10; i++) {
                p.step();
            }
        }
        assertTrue(lines.isEmpty());
    }

    @Test
    void underTheTestRunnerStderrIsNotATerminal() {
        // surefire pipes the forked JVM's stderr, so a bar would write frames into the report
        assertEquals(false, Progress.stderrIsTerminal());
    }
}
