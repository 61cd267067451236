package dev.granular.teacher.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * How the journals write their bytes: {@link #DIRECT} in a run; tests inject a failing one to see what a full disk
 * ({@code IOException("No space left on device")}) does to a run without filling a real disk.
 */
@FunctionalInterface
public interface FileWrites {
    /** Writes from {@code src} at {@code position}, as {@link FileChannel#write(ByteBuffer, long)}. */
    int write(FileChannel channel, ByteBuffer src, long position) throws IOException;

    FileWrites DIRECT = FileChannel::write;

    /** Writes all of {@code bytes} at {@code position}; returns the position after them. */
    default long writeFully(FileChannel channel, byte[] bytes, long position) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        long pos = position;
        while (buf.hasRemaining()) {
            pos += write(channel, buf, pos);
        }
        return pos;
    }
}
