package dev.granular.files;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a file through a temporary sibling that is renamed over the target when complete.
 * A target inside an open {@link OutputDirectory} is recorded there as granular's ({@link OutputDirectory#claim}).
 */
public final class AtomicFiles {

    /** Produces the bytes of a file. */
    @FunctionalInterface
    public interface Writer {
        void writeTo(OutputStream out) throws IOException;
    }

    private AtomicFiles() {
    }

    /**
     * Creates the parent directories of {@code target}, lets {@code writer} fill a temporary file in
     * the same directory, forces it to disk and renames it onto {@code target} with
     * {@link StandardCopyOption#ATOMIC_MOVE} (falling back to a plain replacing move only where the
     * file system cannot rename atomically). Readers see either the old file or the complete new one.
     * On failure the temporary file is deleted and the target is left untouched.
     */
    public static void write(Path target, Writer writer) throws IOException {
        Path absolute = target.toAbsolutePath();
        // Listed before it exists (its temporary sibling too, by name): --overwrite then finds it even after a kill.
        OutputDirectory.claim(absolute);
        Path dir = absolute.getParent();
        Files.createDirectories(dir);
        // Not Files.createTempFile: that makes the file owner-only, and reports are meant to be shared.
        Path tmp = dir.resolve("." + absolute.getFileName() + "."
                + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
        FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        try {
            try (channel) {
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16);
                writer.writeTo(out);
                out.flush();
                channel.force(true);
            }
            move(tmp, absolute);
        } catch (IOException | RuntimeException | Error e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    /** Writes {@code text} as UTF-8; see {@link #write(Path, Writer)}. */
    public static void write(Path target, String text) {
        write(target, text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Writes {@code bytes}; see {@link #write(Path, Writer)}. */
    public static void write(Path target, byte[] bytes) {
        try {
            write(target, out -> out.write(bytes));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write " + target, e);
        }
    }

    /** Renames {@code tmp} onto {@code target} atomically where the file system can. */
    public static void move(Path tmp, Path target) throws IOException {
        OutputDirectory.claim(target);
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
