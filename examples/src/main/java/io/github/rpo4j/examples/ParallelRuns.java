package io.github.rpo4j.examples;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import org.slf4j.Logger;

/**
 * Runs an ablation's runs in child JVMs, a few at a time, each with one native thread: on a machine with c cores,
 * c independent small runs use it far better than one run with c threads (docs/benchmarks.md, "Thread
 * settings"). Each child writes its log next to its run directory ({@code DIR.log}) and resumes whatever its run
 * already finished, so a killed ablation continues where it stopped. A child that fails is started once more (a
 * rare native crash is survived that way); a second failure stops the ablation, naming the run and its log. A run
 * that shares its leader's starting stages starts only once its leader has finished.
 */
final class ParallelRuns {

    private static final long POLL_MILLIS = 2000;

    /** Prepares a run's directory before its child starts. */
    interface Preparation {
        void prepare(AblateCommand.RunSpec run) throws IOException;
    }

    private final BiFunction<AblateCommand.RunSpec, Path, List<String>> arguments;
    private final Preparation preparation;
    private final Path m0;
    private final Logger log;

    /**
     * @param arguments   the command-line arguments (after the main class) that run one run in a child
     * @param preparation called before a run with a leader starts, once its leader has finished
     */
    ParallelRuns(BiFunction<AblateCommand.RunSpec, Path, List<String>> arguments, Preparation preparation, Path m0,
                 Logger log) {
        this.arguments = arguments;
        this.preparation = preparation;
        this.m0 = m0;
        this.log = log;
    }

    /** Runs every run, at most {@code parallel} at a time; returns when all have finished. */
    void runAll(List<AblateCommand.RunSpec> runs, int parallel) throws IOException, InterruptedException {
        Deque<AblateCommand.RunSpec> waiting = new ArrayDeque<>(runs);
        // Concurrent: the shutdown hook reads it from its own thread.
        Map<AblateCommand.RunSpec, Process> running = new ConcurrentHashMap<>();
        // Interrupted (Ctrl-C, SIGTERM), the ablation stops its children too, so that a rerun does not find them
        // still writing the runs it resumes.
        Thread stopChildren = new Thread(() -> running.values().forEach(Process::destroy));
        Runtime.getRuntime().addShutdownHook(stopChildren);
        Map<AblateCommand.RunSpec, Integer> attempts = new LinkedHashMap<>();
        Set<AblateCommand.RunSpec> finished = new HashSet<>();
        long start = System.nanoTime();
        int done = 0;
        try {
            while (!waiting.isEmpty() || !running.isEmpty()) {
                while (running.size() < parallel) {
                    // The first waiting run whose leader (if any) has finished.
                    AblateCommand.RunSpec run = waiting.stream()
                            .filter(r -> r.leader() == null || finished.contains(r.leader())).findFirst().orElse(null);
                    if (run == null) {
                        break;
                    }
                    waiting.remove(run);
                    preparation.prepare(run);
                    attempts.merge(run, 1, Integer::sum);
                    running.put(run, start(run));
                    log.info("started {} seed {} at lr {} ({} of {} runs finished, {} s)", run.method(), run.seed(),
                            run.lr(), done, runs.size(), seconds(start));
                }
                if (running.isEmpty()) {
                    throw new IllegalStateException("runs wait for leaders that are not among the runs: " + waiting);
                }
                running.values().iterator().next().waitFor(POLL_MILLIS, TimeUnit.MILLISECONDS);
                for (AblateCommand.RunSpec run : new ArrayList<>(running.keySet())) {
                    Process p = running.get(run);
                    if (p.isAlive()) {
                        continue;
                    }
                    running.remove(run);
                    if (p.exitValue() == 0) {
                        done++;
                        finished.add(run);
                        log.info("finished {} seed {} at lr {} ({} of {} runs, {} s)", run.method(), run.seed(),
                                run.lr(), done, runs.size(), seconds(start));
                    } else if (attempts.get(run) < 2) {
                        log.warn("{} seed {} exited with {}; starting it again (it resumes), log {}", run.method(),
                                run.seed(), p.exitValue(), logOf(run));
                        waiting.addFirst(run);
                    } else {
                        throw new IOException(run.method() + " seed " + run.seed() + " at lr " + run.lr()
                                + " failed twice (exit " + p.exitValue() + "); see " + logOf(run));
                    }
                }
            }
        } finally {
            running.values().forEach(Process::destroy);
            try {
                Runtime.getRuntime().removeShutdownHook(stopChildren);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or about to: nothing left to remove
            }
        }
    }

    private Process start(AblateCommand.RunSpec run) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(Rpo4jCli.class.getName());
        command.addAll(arguments.apply(run, m0));
        Files.createDirectories(run.dir().getParent());
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logOf(run).toFile()));
        pb.environment().put("OMP_NUM_THREADS", "1");
        return pb.start();
    }

    static Path logOf(AblateCommand.RunSpec run) {
        return run.dir().resolveSibling(run.dir().getFileName() + ".log");
    }

    private static long seconds(long start) {
        return (System.nanoTime() - start) / 1_000_000_000L;
    }
}
