package dev.granular.teacher.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * A {@link ResponseCache} in one SQLite file: table {@code responses(key TEXT PRIMARY KEY,
 * model TEXT, raw TEXT, created INTEGER)}, {@code created} in epoch milliseconds.
 *
 * <p>Crash and sharing safety come from SQLite itself: WAL journal mode (a commit is one append
 * to the {@code -wal} file, so a process killed with {@code kill -9} mid-write loses at most the
 * uncommitted row and never corrupts the file), {@code synchronous=NORMAL} (no fsync per commit;
 * after a power loss the last commits may be missing, never half-present), a 15-second
 * {@code busy_timeout} (a second process, or another connection here, waits for the write lock
 * instead of failing), and {@code INSERT OR IGNORE} (two writers storing the same key never
 * clash: the first row stays, and either reply is as good as the other).
 *
 * <p>Concurrency: a fixed pool of connections handed out through a blocking queue. SQLite's JNI
 * calls pin a virtual thread's carrier, so the pool size caps how many carriers can be stuck in
 * native code at once (at most the busy timeout, when another process holds the write lock);
 * thousands of virtual threads wait on the queue, which does not pin. Measured on the 2-core
 * development machine under load (4,000 virtual threads each doing a miss, a put of a 2 KB body
 * and a hit, then 12,000 hits; median of 5 rounds after a warm-up):
 * <pre>
 * connections   mixed (12,000 ops)   hits only (12,000)
 *      1             568 ms               213 ms
 *      2             385 ms               136 ms
 *      4             559 ms               102 ms
 *      8             497 ms               117 ms
 * </pre>
 * One connection behind a lock is the slowest: reads wait behind writes although WAL lets them
 * run together. Writes serialize on the file lock whatever the pool size, and connections beyond
 * the cores only pin more carriers, so the default is the core count clamped to 2..4
 * ({@link #defaultConnections()}). Either way tens of thousands of operations a second is far
 * beyond the request rate of any model server.
 */
public final class SqliteResponseCache implements ResponseCache {
    /** How long a write waits for another writer (another process included) before failing. */
    static final int BUSY_TIMEOUT_MS = 15_000;

    private final Path file;
    private final BlockingQueue<Handle> pool;
    private final List<Handle> all;
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder puts = new LongAdder();
    private volatile boolean closed;

    private SqliteResponseCache(Path file, List<Handle> handles) {
        this.file = file;
        this.all = List.copyOf(handles);
        this.pool = new ArrayBlockingQueue<>(handles.size(), false, handles);
    }

    /** Opens (creating it and its folder when missing) the cache at {@code file} with {@link #defaultConnections()}. */
    public static SqliteResponseCache open(Path file) {
        return open(file, defaultConnections());
    }

    /** Connections per cache: the available cores clamped to 2..4 (see the class comment for why). */
    public static int defaultConnections() {
        return Math.clamp(Runtime.getRuntime().availableProcessors(), 2, 4);
    }

    /** Opens the cache at {@code file} with {@code connections} pooled connections. */
    public static SqliteResponseCache open(Path file, int connections) {
        if (connections < 1) {
            throw new IllegalArgumentException("connections must be >= 1");
        }
        Path abs = file.toAbsolutePath();
        try {
            Files.createDirectories(abs.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the cache folder " + abs.getParent(), e);
        }
        List<Handle> handles = new ArrayList<>();
        try {
            for (int i = 0; i < connections; i++) {
                handles.add(Handle.open(abs, i == 0));
            }
        } catch (SQLException e) {
            handles.forEach(Handle::closeQuietly);
            throw new IllegalStateException("cannot open the response cache " + abs + ": " + e.getMessage(), e);
        }
        return new SqliteResponseCache(abs, handles);
    }

    /** The cache file. */
    public Path file() {
        return file;
    }

    @Override
    public Optional<String> get(String key) {
        Handle h = take();
        try {
            h.get.setString(1, key);
            try (ResultSet rs = h.get.executeQuery()) {
                if (rs.next()) {
                    hits.increment();
                    return Optional.of(rs.getString(1));
                }
            }
            misses.increment();
            return Optional.empty();
        } catch (SQLException e) {
            throw failure("read", e);
        } finally {
            pool.add(h);
        }
    }

    @Override
    public void put(String key, String model, String raw) {
        write(key, model, raw, false);
    }

    @Override
    public void replace(String key, String model, String raw) {
        write(key, model, raw, true);
    }

    /** INSERT OR IGNORE (the first reply stored wins) or, to replace a stale entry, INSERT OR REPLACE. */
    private void write(String key, String model, String raw, boolean replace) {
        Handle h = take();
        try {
            PreparedStatement st = replace ? h.replace : h.put;
            st.setString(1, key);
            st.setString(2, model);
            st.setString(3, raw);
            st.setLong(4, System.currentTimeMillis());
            if (st.executeUpdate() > 0) {
                puts.increment();
            }
        } catch (SQLException e) {
            throw failure("write", e);
        } finally {
            pool.add(h);
        }
    }

    @Override
    public CacheStats stats() {
        return new CacheStats(hits.sum(), misses.sum(), puts.sum());
    }

    /** Waits for every borrowed connection to come back, then closes them all. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        boolean interrupted = false;
        for (int back = 0; back < all.size(); ) {
            try {
                pool.take();
                back++;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        all.forEach(Handle::closeQuietly);
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "response cache " + file;
    }

    /** A free connection; polls so that a caller waiting while {@link #close()} drains the pool fails instead of hanging. */
    private Handle take() {
        try {
            while (true) {
                if (closed) {
                    throw new IllegalStateException("the response cache " + file + " is closed");
                }
                Handle h = pool.poll(100, TimeUnit.MILLISECONDS);
                if (h != null) {
                    if (closed) {
                        pool.add(h);
                        throw new IllegalStateException("the response cache " + file + " is closed");
                    }
                    return h;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the response cache", e);
        }
    }

    private IllegalStateException failure(String what, SQLException e) {
        return new IllegalStateException("cannot " + what + " the response cache " + file + ": " + e.getMessage(), e);
    }

    /** One connection with its statements; used by one thread at a time. */
    private record Handle(Connection conn, PreparedStatement get, PreparedStatement put, PreparedStatement replace) {
        static Handle open(Path file, boolean first) throws SQLException {
            Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
            try {
                try (Statement s = c.createStatement()) {
                    // busy_timeout first: switching to WAL and creating the table need locks another process may hold.
                    s.execute("PRAGMA busy_timeout = " + BUSY_TIMEOUT_MS);
                    s.execute("PRAGMA journal_mode = WAL");
                    s.execute("PRAGMA synchronous = NORMAL");
                    if (first) {
                        s.execute("CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, model TEXT, raw TEXT, created INTEGER)");
                    }
                }
                return new Handle(c,
                        c.prepareStatement("SELECT raw FROM responses WHERE key = ?"),
                        c.prepareStatement("INSERT OR IGNORE INTO responses (key, model, raw, created) VALUES (?, ?, ?, ?)"),
                        c.prepareStatement("INSERT OR REPLACE INTO responses (key, model, raw, created) VALUES (?, ?, ?, ?)"));
            } catch (SQLException e) {
                try {
                    c.close();
                } catch (SQLException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
        }

        void closeQuietly() {
            try {
                conn.close();
            } catch (SQLException ignored) {
                // Closing after the work is done: nothing left to lose, nothing the caller could do.
            }
        }
    }
}
