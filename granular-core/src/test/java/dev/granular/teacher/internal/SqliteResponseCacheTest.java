package dev.granular.teacher.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteResponseCacheTest {
    @TempDir
    Path tmp;

    static String pragma(Path file, String pragma) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("PRAGMA " + pragma)) {
            rs.next();
            return rs.getString(1);
        }
    }

    static long rows(Path file) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM responses")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void storesRawRepliesAndCountsHitsMissesPuts() {
        Path file = tmp.resolve("sub/dir/responses.sqlite");
        try (SqliteResponseCache cache = SqliteResponseCache.open(file)) {
            assertThat(cache.get("k")).isEmpty();
            cache.put("k", "openai:gpt-4o", "{\"choices\":[]} \n raw as received");
            assertThat(cache.get("k")).contains("{\"choices\":[]} \n raw as received");
            assertThat(cache.stats()).isEqualTo(new CacheStats(1, 1, 1));
        }
        assertThat(file).exists();
    }

    @Test
    void theFirstReplyStoredWinsAndReopeningKeepsIt() throws Exception {
        Path file = tmp.resolve("c.sqlite");
        try (SqliteResponseCache cache = SqliteResponseCache.open(file)) {
            cache.put("k", "m", "first");
            cache.put("k", "m", "second");
            assertThat(cache.stats().puts()).isEqualTo(1);
        }
        try (SqliteResponseCache cache = SqliteResponseCache.open(file)) {
            assertThat(cache.get("k")).contains("first");
        }
        assertThat(pragma(file, "journal_mode")).isEqualTo("wal");
    }

    @Test
    void closedCacheRefusesWorkAndClosingTwiceIsHarmless() {
        SqliteResponseCache cache = SqliteResponseCache.open(tmp.resolve("c.sqlite"), 1);
        cache.close();
        cache.close();
        assertThatThrownBy(() -> cache.get("k")).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    @Test
    void noneStoresNothing() {
        ResponseCache.NONE.put("k", "m", "raw");
        assertThat(ResponseCache.NONE.get("k")).isEmpty();
        assertThat(ResponseCache.NONE.stats()).isEqualTo(CacheStats.ZERO);
    }

    @Test
    void defaultLocationFollowsTheEnvironment() {
        assertThat(ResponseCache.defaultLocation(Map.of("GRANULAR_CACHE", "/x/my.db", "XDG_CACHE_HOME", "/xdg")))
                .isEqualTo(Path.of("/x/my.db"));
        assertThat(ResponseCache.defaultLocation(Map.of("XDG_CACHE_HOME", "/xdg", "HOME", "/home/u")))
                .isEqualTo(Path.of("/xdg/granular/responses.sqlite"));
        assertThat(ResponseCache.defaultLocation(Map.of("XDG_CACHE_HOME", "relative", "HOME", "/home/u")))
                .isEqualTo(Path.of("/home/u/.cache/granular/responses.sqlite"));
        assertThat(ResponseCache.defaultLocation(Map.of("HOME", "/home/u")))
                .isEqualTo(Path.of("/home/u/.cache/granular/responses.sqlite"));
    }

    @Test
    void thousandsOfVirtualThreadsShareOneCache() throws Exception {
        Path file = tmp.resolve("c.sqlite");
        int n = 3000;
        try (SqliteResponseCache cache = SqliteResponseCache.open(file);
             ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int k = i;
                fs.add(ex.submit(() -> {
                    String key = "k" + (k % (n / 2));
                    if (cache.get(key).isEmpty()) {
                        cache.put(key, "m", "v" + (k % (n / 2)));
                    }
                    assertThat(cache.get(key)).contains("v" + (k % (n / 2)));
                }));
            }
            for (Future<?> f : fs) {
                f.get(120, TimeUnit.SECONDS);
            }
            assertThat(cache.stats().puts()).isEqualTo(n / 2);
            assertThat(cache.stats().hits() + cache.stats().misses()).isEqualTo(2L * n);
        }
        assertThat(rows(file)).isEqualTo(n / 2);
        assertThat(pragma(file, "integrity_check")).isEqualTo("ok");
    }

    @Test
    void twoProcessesWritingAtOnceLoseNothingAndCorruptNothing() throws Exception {
        Path file = tmp.resolve("shared.sqlite");
        int n = 1500;
        Process child = ChildJvm.start(CacheWriterChild.class, tmp.resolve("child.log"), file.toString(), "child", Integer.toString(n), "500");
        try (SqliteResponseCache cache = SqliteResponseCache.open(file)) {
            for (int i = 0; i < n; i++) {
                cache.put("parent-" + i, "openai:parent", "p" + i);
            }
            assertThat(child.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(child.exitValue()).as(Files.readString(tmp.resolve("child.log"))).isZero();
            for (int i = 0; i < n; i++) {
                assertThat(cache.get("parent-" + i)).contains("p" + i);
                assertThat(cache.get("child-" + i)).hasValueSatisfying(v -> assertThat(v).startsWith("{\"n\":"));
            }
        } finally {
            child.destroyForcibly();
        }
        assertThat(pragma(file, "integrity_check")).isEqualTo("ok");
        assertThat(rows(file)).isEqualTo(2L * n);
    }

    @Test
    void aWriterKilledMidWriteLeavesEveryCommittedEntry() throws Exception {
        Path file = tmp.resolve("killed.sqlite");
        Process child = ChildJvm.start(CacheWriterChild.class, tmp.resolve("child.log"), file.toString(), "child", "-1", "20000");
        AtomicLong acknowledged = new AtomicLong(-1);
        Thread reader = Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    acknowledged.set(Long.parseLong(line.strip()));
                }
            } catch (java.io.IOException | NumberFormatException ignored) {
                // The child dies mid-line: what was read so far is what counts.
            }
        });
        try (SqliteResponseCache cache = SqliteResponseCache.open(file)) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            for (int i = 0; acknowledged.get() < 300; i++) {
                cache.put("parent-" + i, "openai:parent", "p" + i);
                assertThat(child.isAlive()).as("child alive").isTrue();
                assertThat(System.nanoTime()).as("child made progress").isLessThan(deadline);
            }
        } finally {
            child.destroyForcibly();
            child.waitFor(30, TimeUnit.SECONDS);
            reader.join(10_000);
        }
        long last = acknowledged.get();
        assertThat(pragma(file, "integrity_check")).isEqualTo("ok");
        try (SqliteResponseCache cache = SqliteResponseCache.open(file)) {
            for (long i = 0; i <= last; i++) {
                assertThat(cache.get("child-" + i)).as("child-" + i).isPresent();
            }
            cache.put("after", "m", "still writable");
            assertThat(cache.get("after")).contains("still writable");
        }
    }
}
