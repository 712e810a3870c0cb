package io.github.rpo4j.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A main class of the test class path run in a child JVM that the test kills with SIGKILL (no shutdown hooks, no
 * finally blocks, no flushing) as soon as it prints a line starting with {@link #STOP_LINE}: how the crash tests
 * stop a real process at a chosen point of its work.
 */
public final class KillableChild {

    /** The start of the line a child prints where it waits to be killed. */
    public static final String STOP_LINE = "STOPPED ";

    /**
     * What a child printed on standard output and how it ended.
     *
     * @param lines    its standard output, up to and including the stop line
     * @param killed   whether it reached a stop line and was killed there
     * @param exitCode its exit status (137 or similar when killed)
     */
    public record Outcome(List<String> lines, boolean killed, int exitCode) {
        public boolean printed(String line) {
            return lines.contains(line);
        }
    }

    private KillableChild() {
    }

    /**
     * Starts {@code main} with {@code args} in a JVM of at most 512 MiB heap, one native thread, warnings-only
     * logging, the given environment added, and its standard error written to {@code stderr}.
     */
    public static Process start(Class<?> main, Map<String, String> environment, Path stderr, String... args)
            throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx512m", "-XX:+UseSerialGC",
                "-Dorg.bytedeco.javacpp.maxbytes=1G", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("OMP_NUM_THREADS", "1");
        pb.environment().putAll(environment);
        pb.redirectError(stderr == null ? ProcessBuilder.Redirect.DISCARD : ProcessBuilder.Redirect.to(stderr.toFile()));
        return pb.start();
    }

    /**
     * Reads the child's output until it prints a stop line, kills it there, and waits for it to end; a child that
     * neither stops nor ends within {@code timeoutSeconds} is killed, so a broken child fails the test instead of
     * hanging the build.
     */
    public static Outcome runUntilStopped(Process child, long timeoutSeconds) throws IOException, InterruptedException {
        Thread watchdog = new Thread(() -> {
            try {
                if (!child.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                    child.destroyForcibly();
                }
            } catch (InterruptedException e) {
                child.destroyForcibly();
            }
        });
        watchdog.setDaemon(true);
        watchdog.start();
        List<String> lines = new ArrayList<>();
        boolean killed = false;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                lines.add(line);
                if (line.startsWith(STOP_LINE)) {
                    child.destroyForcibly();
                    killed = true;
                    break;
                }
            }
        }
        int exit = child.waitFor();
        watchdog.interrupt();
        return new Outcome(List.copyOf(lines), killed, exit);
    }
}
