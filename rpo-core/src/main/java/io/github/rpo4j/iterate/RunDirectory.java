package io.github.rpo4j.iterate;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.rpo4j.io.AtomicFiles;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The files of one run. Every stage of every iteration lands here, written aside and renamed into
 * place, so a file that exists is complete and a rerun can skip the stage that made it:
 * <pre>
 * RUN/config.json            the run's settings and provenance (versions, threads, command line)
 * RUN/.lock                  held (an OS file lock) by the process running in the directory
 * RUN/metrics.jsonl          one object per evaluated model (rewritten whole after each evaluation)
 * RUN/accuracy.png           accuracy per iteration
 * RUN/iter-0/model/          the starting model M0
 * RUN/iter-0/eval.json       M0's evaluation
 * RUN/iter-k/samples.jsonl   N scored samples per training question, drawn from M_{k-1}
 * RUN/iter-k/samples.partial.jsonl  samples of the questions done so far, while sampling runs
 * RUN/iter-k/pairs.jsonl     the training pairs (or kept samples) built from them
 * RUN/iter-k/pair_stats.json
 * RUN/iter-k/train.json      the training report (per-step metrics)
 * RUN/iter-k/training-checkpoint/  the training stage's in-stage checkpoint while it runs (removed once M_k is)
 * RUN/iter-k/model/          M_k
 * RUN/iter-k/eval.json       M_k's evaluation and the iteration's metrics
 * </pre>
 */
public final class RunDirectory {

    static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Names of unfinished writes: AtomicFiles' {@code .NAME.tmp-HEX} files and {@code NAME.tmp-HEX} directories,
     * JsonlWriter's {@code .NAME.UUID.tmp} files.
     */
    private static final Pattern UNFINISHED = Pattern.compile(
            ".+\\.tmp-[0-9a-f]{12}|\\..+\\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\.tmp");
    /** A directory publishDirectory set aside while replacing it: {@code NAME.old-HEX}. */
    private static final Pattern SET_ASIDE = Pattern.compile("(.+)\\.old-[0-9a-f]{12}");

    private final Path root;

    public RunDirectory(Path root) {
        this.root = root;
    }

    /** Creates the directory and checks that it can be written, before any work starts. */
    public static RunDirectory prepare(Path root) throws IOException {
        if (Files.exists(root) && !Files.isDirectory(root)) {
            throw new IOException("the run directory " + root + " exists and is a file, not a directory: choose "
                    + "another run directory (a new path is created) or move the file away");
        }
        for (Path parent = root.toAbsolutePath().getParent(); parent != null; parent = parent.getParent()) {
            if (Files.exists(parent) && !Files.isDirectory(parent)) {
                throw new IOException("cannot create the run directory " + root + ": " + parent
                        + " is a file, not a directory");
            }
            if (Files.isDirectory(parent)) {
                break;
            }
        }
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new IOException("cannot create the run directory " + root + ": " + e.getMessage(), e);
        }
        if (!Files.isWritable(root)) {
            throw new AccessDeniedException(root.toString(), null, "the run directory is not writable");
        }
        Path probe = root.resolve(".write-check");
        try {
            Files.writeString(probe, "ok");
            Files.delete(probe);
        } catch (IOException e) {
            throw new IOException("the run directory " + root + " is not writable: " + e.getMessage(), e);
        }
        return new RunDirectory(root);
    }

    /**
     * Removes what a killed process left of unfinished writes in the run's top directory and its iteration
     * directories, which can be as large as a whole checkpoint. A directory that was set aside while being
     * replaced is put back when its replacement never arrived, and deleted otherwise. Only one process may
     * use a run directory at a time; this would delete another live process's temporary files.
     *
     * @return the paths removed or put back
     */
    public List<Path> removeLeftovers() throws IOException {
        List<Path> directories = new ArrayList<>(List.of(root));
        try (DirectoryStream<Path> iterations = Files.newDirectoryStream(root, "iter-*")) {
            iterations.forEach(p -> {
                if (Files.isDirectory(p)) {
                    directories.add(p);
                }
            });
        }
        List<Path> handled = new ArrayList<>();
        for (Path directory : directories) {
            List<Path> entries = new ArrayList<>();
            try (DirectoryStream<Path> children = Files.newDirectoryStream(directory)) {
                children.forEach(entries::add);
            }
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                Matcher aside = SET_ASIDE.matcher(name);
                if (aside.matches()) {
                    Path original = entry.resolveSibling(aside.group(1));
                    if (Files.exists(original)) {
                        AtomicFiles.deleteRecursively(entry);
                    } else {
                        Files.move(entry, original, StandardCopyOption.ATOMIC_MOVE);
                    }
                    handled.add(entry);
                } else if (UNFINISHED.matcher(name).matches()) {
                    AtomicFiles.deleteRecursively(entry);
                    handled.add(entry);
                }
            }
        }
        return handled;
    }

    /**
     * Takes the run directory's lock: an OS lock on {@code RUN/.lock}, which the operating system drops when
     * the process ends, however it ends, so a crash cannot leave it stale. Close the returned lock when the run
     * ends.
     *
     * @throws IOException naming the directory when another process (or another run in this one) holds it
     */
    public Lock lock() throws IOException {
        Path file = root.resolve(".lock");
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock held;
        try {
            held = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            held = null; // this JVM holds it already
        } catch (IOException e) {
            channel.close();
            throw new IOException("cannot lock the run directory " + root + " (" + file + "): " + e.getMessage(), e);
        }
        if (held == null) {
            channel.close();
            throw new IOException("the run directory " + root + " is in use by another run (it holds " + file
                    + "); wait for that run to end or choose another run directory");
        }
        return new Lock(channel, held);
    }

    /** The held lock of a run directory; closing it releases the directory for another process. */
    public static final class Lock implements AutoCloseable {
        private final FileChannel channel;
        private final FileLock lock;

        private Lock(FileChannel channel, FileLock lock) {
            this.channel = channel;
            this.lock = lock;
        }

        @Override
        public void close() throws IOException {
            try {
                lock.release();
            } finally {
                channel.close();
            }
        }
    }

    public Path root() {
        return root;
    }

    public Path config() {
        return root.resolve("config.json");
    }

    public Path metrics() {
        return root.resolve("metrics.jsonl");
    }

    public Path accuracyPlot() {
        return root.resolve("accuracy.png");
    }

    public Path iteration(int k) {
        return root.resolve("iter-" + k);
    }

    public Path model(int k) {
        return iteration(k).resolve("model");
    }

    public Path samples(int k) {
        return iteration(k).resolve("samples.jsonl");
    }

    public Path partialSamples(int k) {
        return iteration(k).resolve("samples.partial.jsonl");
    }

    public Path pairs(int k) {
        return iteration(k).resolve("pairs.jsonl");
    }

    public Path pairStats(int k) {
        return iteration(k).resolve("pair_stats.json");
    }

    /** Where iteration k's training stage keeps its in-stage checkpoint while it runs. */
    public Path trainingCheckpoint(int k) {
        return iteration(k).resolve("training-checkpoint");
    }

    public Path training(int k) {
        return iteration(k).resolve("train.json");
    }

    public Path evaluation(int k) {
        return iteration(k).resolve("eval.json");
    }

    /** Writes a JSON document atomically, creating its directory. */
    void writeJson(Path file, Object value) throws IOException {
        Files.createDirectories(file.getParent());
        AtomicFiles.writeJson(file, value);
    }

    <T> T readJson(Path file, Class<T> type) throws IOException {
        try {
            return JSON.readValue(file.toFile(), type);
        } catch (IOException e) {
            throw new IOException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
    }
}
