package dev.granular.cli;

import dev.granular.teacher.RowListener;
import java.io.PrintStream;

/** A progress bar per stage on a terminal (rows/s, tokens/s, money, errors, ETA); nothing elsewhere. */
final class RowProgress implements RowListener, AutoCloseable {
    private final PrintStream err;
    private Progress progress;

    RowProgress(PrintStream err) {
        this.err = err;
    }

    @Override
    public synchronized void stage(String name, long total, long alreadyDone) {
        close();
        progress = Progress.start(name, total, err, true);
        if (alreadyDone > 0) {
            progress.step(alreadyDone, 0);
        }
    }

    @Override
    public void finished(boolean ok, long tokens, String status) {
        Progress p = progress;
        if (p != null) {
            p.step(1, tokens);
            p.status(status);
        }
    }

    @Override
    public synchronized void close() {
        if (progress != null) {
            progress.close();
            progress = null;
        }
    }
}
