package io.github.rpo4j.iterate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.rpo4j.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunDirectoryTest {

    @TempDir
    Path tmp;

    /** The name AtomicFiles really gives a temporary file, caught by failing a write halfway. */
    private static String atomicFilesTemporaryName(Path dir) throws IOException {
        String[] seen = new String[1];
        try {
            AtomicFiles.write(dir.resolve("eval.json"), out -> {
                try (Stream<Path> files = Files.list(dir)) {
                    seen[0] = files.map(p -> p.getFileName().toString()).filter(n -> n.contains("eval.json"))
                            .findFirst().orElseThrow();
                }
                throw new IOException("killed");
            });
        } catch (IOException expected) {
            // the writer deletes its temporary file after an exception; a SIGKILL would leave it
        }
        return seen[0];
    }

    @Test
    void leftoversOfUnfinishedWritesAreRemovedAndASetAsideModelIsPutBack() throws IOException {
        RunDirectory run = RunDirectory.prepare(tmp.resolve("run"));
        Files.createDirectories(run.iteration(1));
        Files.createDirectories(run.iteration(2));
        Files.writeString(run.iteration(1).resolve(atomicFilesTemporaryName(run.iteration(1))), "half");
        // JsonlWriter.writeAtomically's temporary name: ".NAME.UUID.tmp"
        Files.writeString(run.iteration(1).resolve(".samples.jsonl.3f2a6c1e-8d7b-4a59-9c0e-1b2d3e4f5a6b.tmp"), "half");
        Files.createDirectories(run.iteration(1).resolve("model.tmp-0123456789ab"));
        Files.writeString(run.iteration(1).resolve("model.tmp-0123456789ab").resolve("model.safetensors"), "x");
        Files.writeString(run.root().resolve(".metrics.jsonl.tmp-a1b2c3d4e5f6"), "half");
        Files.createDirectories(run.model(1));
        Files.createDirectories(run.iteration(1).resolve("model.old-aaaaaaaaaaaa"));
        Files.createDirectories(run.iteration(2).resolve("model.old-bbbbbbbbbbbb"));
        Files.writeString(run.iteration(2).resolve("model.old-bbbbbbbbbbbb").resolve("config.json"), "{}");
        Files.writeString(run.partialSamples(1), "{}\n");
        Files.writeString(run.evaluation(1), "{}");

        assertEquals(6, run.removeLeftovers().size());

        try (Stream<Path> files = Files.walk(run.root())) {
            Set<String> left = files.map(p -> run.root().relativize(p).toString()).collect(Collectors.toSet());
            assertEquals(Set.of("", "iter-1", "iter-2", "iter-1/model", "iter-1/samples.partial.jsonl",
                    "iter-1/eval.json", "iter-2/model", "iter-2/model/config.json"), left);
        }
        assertEquals(List.of(), run.removeLeftovers());
    }
}
