package dev.granular.cli;

import dev.granular.teacher.RowListener;
import java.io.PrintStream;
import java.util.concurrent.atomic.LongAdder;

/**
 * Progress per stage (rows/s, tokens/s, ETA, then retries and the job's status: money and
 * failures): a bar on a terminal, a plain line every 10 s elsewhere.
 */
final class RowProgress implements RowListener, AutoCloseable {
    private final PrintStream err;
    private final LongAdder retries = new LongAdder();
    Progress progress;

    RowProgress(PrintStream err) {
        this.err = err;
    }

    @Override
    public synchronized void stage(String name, long total, long alreadyDone) {
        close();
        progress = Progress.start(name, total, err, true);
        if (alreadyDone > 0) {
            progress.resumed(alreadyDone);
        }
    }

    @Override
    public void finished(boolean ok, long tokens, String status) {
        Progress p = progress;
        if (p != null) {
            p.step(1, tokens);
            long r = retries.sum();
            p.status(r > 0 ? "retries " + r + (status == null || status.isEmpty() ? "" : "; " + status) : status);
        }
    }

    @Override
    public void finished(boolean ok, long tokens, int retries, String status) {
        this.retries.add(retries);
        finished(ok, tokens, status);
    }

    @Override
    public synchronized void close() {
        if (progress != null) {
            progress.close();
            progress = null;
        }
    }
}
