package dev.granular.files;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A read-only file mapped into memory, addressed by {@code long} offsets, of any size.
 *
 * <p>Why: corpus-sized data (token ids, texts) must stay off the Java heap so that memory
 * does not grow with the corpus; the OS pages it in and out. A single {@link MappedByteBuffer}
 * stops at 2 GiB, so the file is mapped in 1 GiB windows that overlap by {@link #MAX_READ}
 * bytes: any read of up to that many bytes lies inside one window. Reads use absolute
 * positions only, so one instance is safe to share between threads.
 */
public final class MappedBlob {
    /** The largest read guaranteed to be served from one window; longer reads are stitched. */
    public static final int MAX_READ = 1 << 20;
    private static final long WINDOW = 1L << 30;

    private final List<ByteBuffer> windows = new ArrayList<>();
    private final long size;

    private MappedBlob(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            this.size = ch.size();
            for (long start = 0; start < size || (start == 0 && size == 0); start += WINDOW) {
                long len = Math.min(size - start, WINDOW + MAX_READ);
                windows.add(ch.map(FileChannel.MapMode.READ_ONLY, start, len));
                if (size == 0) {
                    break;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot map " + file, e);
        }
    }

    public static MappedBlob map(Path file) {
        return new MappedBlob(file);
    }

    public long size() {
        return size;
    }

    public int getInt(long pos) {
        return window(pos).getInt((int) (pos % WINDOW));
    }

    public long getLong(long pos) {
        return window(pos).getLong((int) (pos % WINDOW));
    }

    /** Copies {@code len} bytes starting at {@code pos}. */
    public byte[] bytes(long pos, int len) {
        byte[] out = new byte[len];
        int done = 0;
        while (done < len) {
            long p = pos + done;
            ByteBuffer w = window(p);
            int local = (int) (p % WINDOW);
            int n = Math.min(len - done, w.limit() - local);
            w.get(local, out, done, n);
            done += n;
        }
        return out;
    }

    /** Copies {@code count} big-endian ints starting at byte {@code pos} into {@code dst[off..]}. */
    public void ints(long pos, int[] dst, int off, int count) {
        if ((long) count * 4 <= MAX_READ) {
            ByteBuffer w = window(pos);
            w.slice((int) (pos % WINDOW), count * 4).asIntBuffer().get(dst, off, count);
            return;
        }
        for (int i = 0; i < count; i++) {
            dst[off + i] = getInt(pos + 4L * i);
        }
    }

    private ByteBuffer window(long pos) {
        if (pos < 0 || pos >= size) {
            throw new IndexOutOfBoundsException("offset " + pos + " outside [0, " + size + ")");
        }
        return windows.get((int) (pos / WINDOW));
    }
}
