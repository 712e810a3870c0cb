package io.github.rpo4j.spark;

import io.github.rpo4j.io.AtomicFiles;
import io.github.rpo4j.model.ModelDirectory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.broadcast.Broadcast;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broadcast models on one executor JVM: each broadcast is written once to a local model directory, and every
 * task loads its own {@link io.github.rpo4j.model.TransformerLM} from it (tasks never share a model). Only the newest
 * broadcast's directory is kept: the loop sends one model at a time, and a newer one means the older one's jobs are
 * over. The directories are removed when the JVM exits.
 */
final class ExecutorModels {

    private static final Logger LOG = LoggerFactory.getLogger(ExecutorModels.class);

    /** Broadcast id to its local model directory; ids grow, so the last entry is the newest. */
    private static final TreeMap<Long, Path> DIRECTORIES = new TreeMap<>();
    private static Path root;

    private ExecutorModels() {
    }

    /** The model and tokenizer of a broadcast, loaded afresh for the calling task. */
    static ModelDirectory.Loaded load(Broadcast<ModelBytes> model) {
        try {
            return ModelDirectory.load(directoryOf(model));
        } catch (IOException e) {
            throw new UncheckedIOException("loading the broadcast model " + model.id() + ": " + e.getMessage(), e);
        }
    }

    private static synchronized Path directoryOf(Broadcast<ModelBytes> model) throws IOException {
        Path dir = DIRECTORIES.get(model.id());
        if (dir != null) {
            return dir;
        }
        if (root == null) {
            root = Files.createTempDirectory("rpo4j-executor-models-");
            Path created = root;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    AtomicFiles.deleteRecursively(created);
                } catch (IOException e) {
                    LOG.warn("could not remove {}: {}", created, e.getMessage());
                }
            }, "rpo4j-executor-models-cleanup"));
        }
        dir = root.resolve("broadcast-" + model.id());
        model.value().writeTo(dir);
        // Older broadcasts belong to finished jobs: free their disk.
        for (Map.Entry<Long, Path> old : DIRECTORIES.headMap(model.id()).entrySet()) {
            AtomicFiles.deleteRecursively(old.getValue());
        }
        DIRECTORIES.headMap(model.id()).clear();
        DIRECTORIES.put(model.id(), dir);
        return dir;
    }
}
