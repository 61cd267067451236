package dev.granular.cli;

import java.io.Console;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

/**
 * A progress line on stderr showing examples done, examples/s, tokens/s and the ETA, drawn only
 * for a person at an interactive terminal; everywhere else (pipes, CI logs, tests) it does nothing.
 *
 * <p>Terminal detection: we compile for Java 21, whose {@link System#console()} is non-null only
 * when the JVM is attached to an interactive terminal. From Java 22 on {@code System.console()} may
 * return a console even when redirected, and {@code Console.isTerminal()} tells the two apart; it
 * is called reflectively when present. Either way the JDK looks at stdin and stdout, not stderr,
 * so {@code granular ... > out.jsonl} shows no progress even though stderr is still a terminal.
 *
 * <p>The line is erased when the progress is closed, and no summary is printed: callers print
 * their own. {@link #step} is thread-safe and cheap enough to call once per example from workers.
 */
public final class Progress implements AutoCloseable {

    /** How often the tokens/s figure is recomputed. */
    private static final long MESSAGE_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    private static final Progress OFF = new Progress(null);

    private final ProgressBar bar;
    private final LongAdder tokens = new LongAdder();
    private final long startNanos = System.nanoTime();
    private final AtomicLong lastMessageNanos = new AtomicLong(startNanos);
    private volatile String status = "";

    private Progress(ProgressBar bar) {
        this.bar = bar;
    }

    /**
     * Starts showing progress of {@code task} on {@code err} if {@code enabled} (e.g. no
     * {@code --quiet}) and the JVM runs in an interactive terminal; otherwise returns a progress
     * that ignores every call.
     *
     * @param total the number of examples expected, or 0 or less if unknown (then no ETA is shown)
     */
    public static Progress start(String task, long total, PrintStream err, boolean enabled) {
        return enabled && isInteractiveTerminal() ? shown(task, total, err, 0) : OFF;
    }

    /**
     * Progress drawn on {@code err} regardless of the terminal, {@code width} columns wide
     * (0: the terminal's width).
     */
    static Progress shown(String task, long total, PrintStream err, int width) {
        ProgressBar bar = new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(total > 0 ? total : -1)
                .setUnit(" ex", 1)
                .showSpeed()
                .setUpdateIntervalMillis(250)
                .clearDisplayOnFinish()
                .setConsumer(new ErasingConsumer(err, width))
                .build();
        return new Progress(bar);
    }

    /** Whether the JVM is attached to an interactive terminal; see the class comment. */
    static boolean isInteractiveTerminal() {
        Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            Method isTerminal = Console.class.getMethod("isTerminal"); // Java 22+
            return (Boolean) isTerminal.invoke(console);
        } catch (NoSuchMethodException e) {
            return true; // Java 21: a console exists only for a terminal
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }

    /** Whether this progress draws anything. */
    public boolean isShown() {
        return bar != null;
    }

    /** Records {@code examples} more examples holding {@code tokens} more tokens. Thread-safe. */
    public void step(long examples, long tokens) {
        if (bar == null) {
            return;
        }
        this.tokens.add(tokens);
        bar.stepBy(examples);
        long now = System.nanoTime();
        long last = lastMessageNanos.get();
        if (now - last >= MESSAGE_INTERVAL_NANOS && lastMessageNanos.compareAndSet(last, now)) {
            double seconds = (now - startNanos) / 1e9;
            bar.setExtraMessage(" " + compact(this.tokens.sum() / seconds) + " tok/s" + status);
        }
    }

    /** Shows {@code status} (e.g. money spent, errors) after the rates. Thread-safe. */
    public void status(String status) {
        if (bar != null) {
            this.status = status == null ? "" : " " + status;
        }
    }

    /** Erases the progress line; prints nothing else. */
    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }

    /** {@code x} in at most four characters of digits plus a k/M/G suffix: 950, 12.3k, 4.1M. */
    static String compact(double x) {
        String[] suffixes = {"", "k", "M", "G", "T"};
        int i = 0;
        while (Math.abs(x) >= 1000 && i < suffixes.length - 1) {
            x /= 1000;
            i++;
        }
        String digits = i == 0 || Math.abs(x) >= 100
                ? String.format(Locale.ROOT, "%.0f", x)
                : String.format(Locale.ROOT, "%.1f", x);
        return digits + suffixes[i];
    }

    /** Draws with carriage returns and, on close, leaves the cursor at the start of the cleared line. */
    private static final class ErasingConsumer extends ConsoleProgressBarConsumer {
        private final PrintStream err;

        ErasingConsumer(PrintStream err, int width) {
            super(err, width > 0 ? width : -1);
            this.err = err;
        }

        @Override
        public void close() {
            err.print('\r');
            err.flush();
        }
    }
}
