package io.github.rpo4j.spark;

import io.github.rpo4j.io.AtomicFiles;
import io.github.rpo4j.model.ModelDirectory;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.text.Tokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A model directory (config.json, model.safetensors, tokenizer.json) as bytes, to broadcast to the executors. Each
 * file is held in pieces of at most {@link #PIECE_BYTES}, so weights beyond a Java array's 2 GiB limit travel too.
 * The bytes are exactly what {@link ModelDirectory#save} writes, so a model rebuilt from them on an executor has the
 * driver's weights bit for bit.
 */
final class ModelBytes implements Serializable {

    private static final long serialVersionUID = 1L;

    /** The largest piece of a file: well below the 2 GiB array limit, and a few of Spark's 4 MiB broadcast blocks. */
    static final int PIECE_BYTES = 64 << 20;

    /** File name to its pieces, in order. */
    private final Map<String, List<byte[]>> files;

    private ModelBytes(Map<String, List<byte[]>> files) {
        this.files = files;
    }

    /** Saves the model and tokenizer as a model directory in a temporary folder and reads the files back. */
    static ModelBytes of(TransformerLM model, Tokenizer tokenizer) throws IOException {
        Path scratch = Files.createTempDirectory("rpo4j-broadcast-");
        try {
            Path dir = scratch.resolve("model");
            ModelDirectory.save(dir, model, tokenizer);
            Map<String, List<byte[]>> files = new LinkedHashMap<>();
            try (Stream<Path> list = Files.list(dir)) {
                for (Path file : list.sorted().toList()) {
                    files.put(file.getFileName().toString(), readPieces(file));
                }
            }
            return new ModelBytes(files);
        } finally {
            AtomicFiles.deleteRecursively(scratch);
        }
    }

    private static List<byte[]> readPieces(Path file) throws IOException {
        List<byte[]> pieces = new ArrayList<>();
        try (InputStream in = Files.newInputStream(file)) {
            while (true) {
                byte[] piece = in.readNBytes(PIECE_BYTES);
                if (piece.length == 0) {
                    break;
                }
                pieces.add(piece);
            }
        }
        return pieces;
    }

    /** Total bytes of all files. */
    long size() {
        long n = 0;
        for (List<byte[]> pieces : files.values()) {
            for (byte[] p : pieces) {
                n += p.length;
            }
        }
        return n;
    }

    /** Writes the files into {@code dir} as a complete model directory, published atomically. */
    void writeTo(Path dir) throws IOException {
        AtomicFiles.publishDirectory(dir, tmp -> {
            for (Map.Entry<String, List<byte[]>> e : files.entrySet()) {
                try (OutputStream out = Files.newOutputStream(tmp.resolve(e.getKey()))) {
                    for (byte[] piece : e.getValue()) {
                        out.write(piece);
                    }
                }
            }
        });
    }
}
