package io.github.rpo4j.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * Writes files and directories so that a reader, or a crash, never observes a half-written result.
 *
 * <p>Every write goes to a fresh temporary sibling of the target (same directory, hence same file system),
 * is flushed to stable storage with {@code fsync}, and is then renamed over the target with
 * {@link StandardCopyOption#ATOMIC_MOVE}. Until that rename an existing target is untouched; if the content
 * callback throws, the temporary file is deleted and the target keeps its old content. After the rename the
 * parent directory is synced as well (best effort: not every platform can open a directory for syncing), so
 * the rename itself survives a power loss.
 *
 * <p>Temporary names start with a dot and contain {@code .tmp-} followed by random hex, so leftovers from a
 * killed process are easy to recognise and never collide with a target.
 */
public final class AtomicFiles {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final SecureRandom RANDOM = new SecureRandom();

    private AtomicFiles() {
    }

    /**
     * Atomically replaces {@code target} with whatever {@code content} writes to the stream it is given.
     * The stream is buffered; the callback must not retain it, and closing it is harmless.
     *
     * @param target  the file to create or replace; its parent directory must exist
     * @param content writes the new content
     * @throws IOException if writing, syncing or renaming fails; the target is then unchanged
     */
    public static void write(Path target, IOConsumer<OutputStream> content) throws IOException {
        Objects.requireNonNull(content, "content");
        Path absolute = target.toAbsolutePath();
        Path directory = absolute.getParent();
        if (Files.isDirectory(absolute)) {
            throw new FileAlreadyExistsException(absolute.toString(), null, "is a directory; cannot replace it with a file");
        }
        Path temporary = directory.resolve("." + absolute.getFileName() + ".tmp-" + randomSuffix());
        boolean moved = false;
        try {
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                OutputStream buffered = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16);
                content.accept(new CloseShieldOutputStream(buffered));
                buffered.flush();
                channel.force(true);
            }
            Files.move(temporary, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            moved = true;
            syncDirectory(directory);
        } finally {
            if (!moved) {
                Files.deleteIfExists(temporary);
            }
        }
    }

    /**
     * Atomically replaces {@code target} with the given bytes.
     *
     * @param target the file to create or replace
     * @param bytes  the new content
     * @throws IOException if writing fails; the target is then unchanged
     */
    public static void writeBytes(Path target, byte[] bytes) throws IOException {
        Objects.requireNonNull(bytes, "bytes");
        write(target, out -> out.write(bytes));
    }

    /**
     * Atomically replaces {@code target} with the UTF-8 encoding of {@code text}.
     *
     * @param target the file to create or replace
     * @param text   the new content
     * @throws IOException if writing fails; the target is then unchanged
     */
    public static void writeString(Path target, String text) throws IOException {
        Objects.requireNonNull(text, "text");
        writeBytes(target, text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Atomically replaces {@code target} with {@code value} serialised by Jackson as indented JSON.
     * The value is serialised completely in memory first, so a serialisation error leaves no trace on disk.
     *
     * @param target the file to create or replace
     * @param value  a Jackson-serialisable value (a bean, a map, a {@code JsonNode}, ...)
     * @throws IOException if serialisation or writing fails; the target is then unchanged
     */
    public static void writeJson(Path target, Object value) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(value);
        writeBytes(target, bytes);
    }

    /**
     * Atomically publishes a whole directory: {@code content} fills a fresh temporary sibling directory
     * ({@code <name>.tmp-<random>}), every regular file in it is synced, and the directory is then renamed to
     * {@code target}.
     *
     * <p>A directory cannot be renamed over a non-empty one, so an existing {@code target} is first renamed
     * aside to {@code <name>.old-<random>}, the new directory is renamed into place, and only then is the old
     * one deleted. Between those two renames {@code target} briefly does not exist; a crash exactly there
     * leaves the previous version intact under the {@code .old-} name. If {@code content} throws, the
     * temporary directory is deleted and the target is untouched.
     *
     * @param target  the directory to create or replace; its parent directory must exist
     * @param content fills the directory it is given (which exists and is empty)
     * @throws IOException if filling, syncing or renaming fails
     */
    public static void publishDirectory(Path target, IOConsumer<Path> content) throws IOException {
        Objects.requireNonNull(content, "content");
        Path absolute = target.toAbsolutePath();
        Path parent = absolute.getParent();
        if (Files.exists(absolute, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(absolute, LinkOption.NOFOLLOW_LINKS)) {
            throw new FileAlreadyExistsException(absolute.toString(), null, "exists and is not a directory");
        }
        String name = absolute.getFileName().toString();
        Path temporary = parent.resolve(name + ".tmp-" + randomSuffix());
        Files.createDirectory(temporary);
        boolean published = false;
        try {
            content.accept(temporary);
            syncTree(temporary);
            Path aside = null;
            if (Files.exists(absolute, LinkOption.NOFOLLOW_LINKS)) {
                aside = parent.resolve(name + ".old-" + randomSuffix());
                Files.move(absolute, aside, StandardCopyOption.ATOMIC_MOVE);
            }
            try {
                Files.move(temporary, absolute, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                if (aside != null) {
                    try {
                        Files.move(aside, absolute, StandardCopyOption.ATOMIC_MOVE);
                    } catch (IOException restoreFailure) {
                        e.addSuppressed(restoreFailure);
                    }
                }
                throw e;
            }
            published = true;
            syncDirectory(parent);
            if (aside != null) {
                deleteRecursively(aside);
            }
        } finally {
            if (!published) {
                deleteRecursively(temporary);
            }
        }
    }

    /**
     * Deletes a file or a directory tree; a missing path is not an error. Symbolic links are deleted,
     * never followed.
     *
     * @param path the file or directory to delete
     * @throws IOException if something cannot be deleted
     */
    public static void deleteRecursively(Path path) throws IOException {
        if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
            try (DirectoryStream<Path> children = Files.newDirectoryStream(path)) {
                for (Path child : children) {
                    deleteRecursively(child);
                }
            } catch (NoSuchFileException gone) {
                return;
            }
        }
        Files.deleteIfExists(path);
    }

    private static void syncTree(Path directory) throws IOException {
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path path : (Iterable<Path>) paths::iterator) {
                if (Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
                    // A read-only descriptor suffices for fsync, and works for files the callback made read-only.
                    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
                        channel.force(true);
                    }
                } else if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
                    syncDirectory(path);
                }
            }
        }
    }

    /** Makes a rename or creation inside {@code directory} durable; silently skipped where unsupported. */
    private static void syncDirectory(Path directory) {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException unsupported) {
            // Windows cannot open directories as channels; the rename is still atomic there, just not synced.
        }
    }

    private static String randomSuffix() {
        byte[] bytes = new byte[6];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /** Lets a callback close "its" stream (as Jackson does by default) without closing the file early. */
    private static final class CloseShieldOutputStream extends FilterOutputStream {
        CloseShieldOutputStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
