package dev.granular.cli;

import dev.granular.report.Numbers;
import java.io.Console;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

/**
 * Progress on stderr: examples done, examples/s, tokens/s, the ETA and a status (money spent,
 * retries, failures). At an interactive terminal it is a bar redrawn in place; everywhere else
 * (pipes, CI logs, {@code nohup}) it is a plain line, {@code generate: 1,200/10,000 (12%), 40/s,
 * 9.1k tok/s, ETA 3m 40s; $0.0123, 2 failed}, printed every {@link #PLAIN_INTERVAL} from a
 * daemon timer, so a long run is never silent until its end.
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

    /** How often a plain progress line is printed when stderr is not a terminal. */
    static final Duration PLAIN_INTERVAL = Duration.ofSeconds(10);

    private static final Progress OFF = new Progress(null, null, 0, null, System::nanoTime);

    private final ProgressBar bar;
    private final PrintStream plain;
    private final String task;
    private final long total;
    private final LongSupplier clock;
    private final LongAdder done = new LongAdder();
    private final LongAdder tokens = new LongAdder();
    private final long startNanos;
    private final AtomicLong lastMessageNanos;
    private volatile long resumed;
    private volatile String status = "";
    private ScheduledExecutorService timer;

    private Progress(ProgressBar bar, PrintStream plain, long total, String task, LongSupplier clock) {
        this.bar = bar;
        this.plain = plain;
        this.total = total;
        this.task = task;
        this.clock = clock;
        this.startNanos = clock.getAsLong();
        this.lastMessageNanos = new AtomicLong(startNanos);
    }

    /**
     * Starts showing progress of {@code task} on {@code err} if {@code enabled} (e.g. no
     * {@code --quiet}) and the JVM runs in an interactive terminal; otherwise returns a progress
     * that ignores every call.
     *
     * @param total the number of examples expected, or 0 or less if unknown (then no ETA is shown)
     */
    public static Progress start(String task, long total, PrintStream err, boolean enabled) {
        if (!enabled) {
            return OFF;
        }
        if (isInteractiveTerminal()) {
            return shown(task, total, err, 0);
        }
        Progress p = plain(task, total, err, System::nanoTime);
        p.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "granular-progress");
            t.setDaemon(true);
            return t;
        });
        long every = PLAIN_INTERVAL.toMillis();
        p.timer.scheduleAtFixedRate(p::printLine, every, every, TimeUnit.MILLISECONDS);
        return p;
    }

    /**
     * Progress printed as plain lines on {@code err}, one per {@link #printLine} call, timed by
     * {@code nanoClock}; {@link #start} calls {@code printLine} from a timer.
     */
    static Progress plain(String task, long total, PrintStream err, LongSupplier nanoClock) {
        return new Progress(null, err, total, task, nanoClock);
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
        return new Progress(bar, null, total, task, System::nanoTime);
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
        return bar != null || plain != null;
    }

    /** Counts {@code examples} done by an earlier run: in the total done, not in the rates. */
    public void resumed(long examples) {
        if (bar != null) {
            bar.stepBy(examples);
        }
        done.add(examples);
        resumed += examples;
    }

    /** Records {@code examples} more examples holding {@code tokens} more tokens. Thread-safe. */
    public void step(long examples, long tokens) {
        done.add(examples);
        this.tokens.add(tokens);
        if (bar == null) {
            return;
        }
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
        this.status = status == null || status.isEmpty() ? "" : " " + status;
    }

    /** Prints the plain progress line now (plain progress only). */
    void printLine() {
        if (plain != null) {
            plain.println(line());
            plain.flush();
        }
    }

    /**
     * The plain line: {@code task: done/total (pct%), rate/s, tokens tok/s, ETA ...;} and the
     * status. Rates count only this run's examples, not those {@link #resumed} from an earlier one.
     */
    String line() {
        long d = done.sum();
        double seconds = Math.max(1e-9, (clock.getAsLong() - startNanos) / 1e9);
        double rate = (d - resumed) / seconds;
        if (d == 0 && total <= 0) {
            return task + ": elapsed " + duration(seconds) + status.replaceFirst("^ ", "; ");
        }
        StringBuilder b = new StringBuilder(task).append(": ").append(Numbers.human(d));
        if (total > 0) {
            b.append('/').append(Numbers.human(total))
                    .append(String.format(Locale.ROOT, " (%d%%)", Math.min(100, d * 100 / total)));
        }
        // a slow model's rows per second need a decimal: 0.4/s, not 0/s
        b.append(", ").append(rate < 10 ? String.format(Locale.ROOT, "%.1f", rate) : compact(rate)).append("/s");
        long t = tokens.sum();
        if (t > 0) {
            b.append(", ").append(compact(t / seconds)).append(" tok/s");
        }
        if (total > 0 && d < total) {
            b.append(", ETA ").append(rate > 0 ? duration((total - d) / rate) : "unknown");
        }
        b.append(", elapsed ").append(duration(seconds));
        if (!status.isEmpty()) {
            b.append(';').append(status);
        }
        return b.toString();
    }

    /** Seconds as {@code 45s}, {@code 3m 40s} or {@code 2h 05m}. */
    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, "%dm %02ds", s / 60, s % 60);
        }
        return String.format(Locale.ROOT, "%dh %02dm", s / 3600, s % 3600 / 60);
    }

    /** Erases the progress bar, or stops the plain lines; prints nothing else. */
    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
        if (timer != null) {
            timer.shutdownNow();
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
