package io.github.rpo4j.train;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Progress of a long task (training steps, questions sampled). On a terminal it is a redrawn bar on
 * stderr; otherwise (stderr redirected to a file or a pipe, as under CI or {@code nohup}) redrawing would
 * write a frame every half second, so it logs a plain line instead each time another tenth of the work is
 * done, and at least every {@link #LOG_INTERVAL} while work goes on, plus one line at the end: at most
 * {@code 11 + elapsed / LOG_INTERVAL} lines per task.
 */
public final class Progress implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Progress.class);

    /** The longest a redirected task goes without a line while it makes progress. */
    public static final Duration LOG_INTERVAL = Duration.ofSeconds(60);

    /** How progress is shown. */
    enum Mode { NONE, BAR, LOG_LINES }

    private final String label;
    private final long total;
    private final ProgressBar bar;
    private final Consumer<String> lines;
    private final LongSupplier nanoClock;
    private final long start;
    private long done;
    private long doneAtLastLine;
    private long lastLineAt;
    private String extra = "";
    private boolean closed;

    Progress(String label, long total, Mode mode, Consumer<String> lines, LongSupplier nanoClock) {
        this.label = label;
        this.total = total;
        this.lines = mode == Mode.LOG_LINES ? lines : null;
        this.nanoClock = nanoClock;
        this.start = nanoClock.getAsLong();
        this.lastLineAt = start;
        this.bar = mode == Mode.BAR ? new ProgressBarBuilder().setTaskName(label).setInitialMax(total)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).continuousUpdate().build() : null;
    }

    /**
     * Starts showing progress of {@code total} units of work named {@code label}: a bar when stderr is a
     * terminal, log lines otherwise, nothing when {@code show} is false.
     */
    public static Progress start(String label, long total, boolean show) {
        Mode mode = !show ? Mode.NONE : stderrIsTerminal() ? Mode.BAR : Mode.LOG_LINES;
        return new Progress(label, total, mode, LOG::info, System::nanoTime);
    }

    /**
     * Whether stderr, where the bar draws, is a terminal. On Linux /proc/self/fd/2 names the device; elsewhere
     * {@link System#console()} (non-null when stdin and stdout are a terminal) is the best Java 17 offers.
     */
    static boolean stderrIsTerminal() {
        Path fd2 = Path.of("/proc/self/fd/2");
        try {
            if (Files.exists(fd2, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                String target = Files.readSymbolicLink(fd2).toString();
                return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console");
            }
        } catch (java.io.IOException | UnsupportedOperationException | SecurityException e) {
            // fall through to the portable test
        }
        return System.console() != null;
    }

    /** One more unit done. */
    public void step() {
        stepBy(1);
    }

    /** {@code n} more units done. */
    public void stepBy(long n) {
        done += n;
        if (bar != null) {
            bar.stepBy(n);
        } else if (lines != null) {
            long now = nanoClock.getAsLong();
            boolean tenth = total > 0 && (done - doneAtLastLine) * 10 >= total;
            boolean due = now - lastLineAt >= LOG_INTERVAL.toNanos();
            if ((tenth || due) && done < total) {
                line(now);
            }
        }
    }

    /** A short note shown after the count, e.g. the last loss. */
    public void setExtraMessage(String message) {
        extra = message;
        if (bar != null) {
            bar.setExtraMessage(message);
        }
    }

    private void line(long now) {
        long seconds = (now - start) / 1_000_000_000L;
        String percent = total > 0 ? " (" + (100 * done / total) + "%)" : "";
        lines.accept(String.format("%s: %d/%d%s, %d:%02d:%02d elapsed%s", label, done, total, percent,
                seconds / 3600, seconds / 60 % 60, seconds % 60, extra.isEmpty() ? "" : "," + extra));
        doneAtLastLine = done;
        lastLineAt = now;
    }

    /** Ends the bar, or logs the final line. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (bar != null) {
            bar.close();
        } else if (lines != null) {
            line(nanoClock.getAsLong());
        }
    }
}
