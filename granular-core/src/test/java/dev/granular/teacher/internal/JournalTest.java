package dev.granular.teacher.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granular.io.BadInputException;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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

class JournalTest {
    @TempDir
    Path tmp;

    Path file() {
        return tmp.resolve("out/.granular/journal.jsonl");
    }

    static void append(Path f, String text) throws Exception {
        Files.writeString(f, text, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    }

    @Test
    void recordsSuccessesAndFailuresAndReadsThemBack() {
        try (Journal j = Journal.open(file())) {
            j.success(0, "{\"messages\":[{\"role\":\"user\",\"content\":\"é ✓\"}]}");
            j.failure(1, "{\"kind\":\"CLIENT_ERROR\",\"status\":400}");
            assertThat(j.done(0)).isTrue();
            assertThat(j.done(1)).isFalse();
            assertThat(j.done(2)).isFalse();
            assertThat(j.record(0)).contains("{\"messages\":[{\"role\":\"user\",\"content\":\"é ✓\"}]}");
            assertThat(j.record(1)).isEmpty();
            assertThat(j.successes()).isEqualTo(1);
            assertThat(j.failures()).isEqualTo(Map.of(1L, "{\"kind\":\"CLIENT_ERROR\",\"status\":400}"));
        }
        assertThat(file()).content().isEqualTo("{\"i\":0,\"record\":{\"messages\":[{\"role\":\"user\",\"content\":\"é ✓\"}]}}\n"
                + "{\"i\":1,\"failed\":{\"kind\":\"CLIENT_ERROR\",\"status\":400}}\n");
    }

    @Test
    void reopeningRestoresTheStateAndLaterSuccessesOverrideFailures() {
        try (Journal j = Journal.open(file())) {
            j.failure(5, "{\"why\":\"a\"}");
            j.failure(6, "{\"why\":\"b\"}");
            j.success(7, "{\"r\":7}");
        }
        try (Journal j = Journal.open(file())) {
            assertThat(j.failures()).containsOnlyKeys(5L, 6L);
            j.success(5, "{\"r\":5}");
            j.failure(6, "{\"why\":\"c\"}");
            j.failure(7, "{\"why\":\"ignored: 7 succeeded\"}");
            j.success(7, "{\"r\":\"7 again\"}");
        }
        try (Journal j = Journal.open(file())) {
            assertThat(j.done(5)).isTrue();
            assertThat(j.record(5)).contains("{\"r\":5}");
            assertThat(j.record(7)).contains("{\"r\":\"7 again\"}");
            assertThat(j.failures()).isEqualTo(Map.of(6L, "{\"why\":\"c\"}"));
            assertThat(j.successes()).isEqualTo(2);
        }
    }

    @Test
    void aTornLastLineWithoutNewlineIsTruncatedAndWritingGoesOn() throws Exception {
        try (Journal j = Journal.open(file())) {
            j.success(0, "{\"r\":0}");
            j.success(1, "{\"r\":1}");
        }
        long good = Files.size(file());
        append(file(), "{\"i\":2,\"record\":{\"r\":");
        try (Journal j = Journal.open(file())) {
            assertThat(Files.size(file())).isEqualTo(good);
            assertThat(j.done(2)).isFalse();
            assertThat(j.successes()).isEqualTo(2);
            j.success(2, "{\"r\":2}");
        }
        try (Journal j = Journal.open(file())) {
            assertThat(j.record(2)).contains("{\"r\":2}");
            assertThat(j.record(1)).contains("{\"r\":1}");
        }
    }

    @Test
    void anUnparseableLastLineIsTruncatedButDamageInTheMiddleIsAnError() throws Exception {
        try (Journal j = Journal.open(file())) {
            j.success(0, "{\"r\":0}");
        }
        long good = Files.size(file());
        append(file(), "\0\0\0garbage\n");
        try (Journal j = Journal.open(file())) {
            assertThat(j.successes()).isEqualTo(1);
        }
        assertThat(Files.size(file())).isEqualTo(good);
        append(file(), "{\"i\":1,\"oops\":{}}\n{\"i\":2,\"record\":{}}\n");
        assertThatThrownBy(() -> Journal.open(file())).isInstanceOf(BadInputException.class)
                .hasMessageContaining("journal.jsonl:2:");
    }

    @Test
    void recordsMustBeOneJsonObjectAndLineBreaksInThemAreFlattened() {
        try (Journal j = Journal.open(file())) {
            assertThatThrownBy(() -> j.success(0, "[1]")).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> j.success(0, "{\"a\":1} {}")).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> j.failure(0, "{\"a\":")).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> j.success(-1, "{}")).isInstanceOf(IllegalArgumentException.class);
            j.success(0, "{\n  \"a\": \"line\\nbreak\"\r\n}");
            assertThat(j.record(0)).contains("{   \"a\": \"line\\nbreak\"  }");
        }
        try (Journal j = Journal.open(file())) {
            assertThat(j.record(0)).contains("{   \"a\": \"line\\nbreak\"  }");
        }
    }

    @Test
    void largeRecordsReadBackWhole() {
        String big = "{\"text\":\"" + "z".repeat(100_000) + "\"}";
        try (Journal j = Journal.open(file(), 1)) {
            j.success(3, big);
            assertThat(j.record(3)).contains(big);
        }
        try (Journal j = Journal.open(file())) {
            assertThat(j.record(3)).contains(big);
        }
    }

    @Test
    void sixtyFourVirtualThreadsAppendWithoutInterleaving() throws Exception {
        int perThread = 200;
        try (Journal j = Journal.open(file(), 50); ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < 64; t++) {
                int thread = t;
                fs.add(ex.submit(() -> {
                    for (int k = 0; k < perThread; k++) {
                        long i = (long) thread * perThread + k;
                        if (k % 10 == 0) {
                            j.failure(i, "{\"t\":" + thread + "}");
                        }
                        j.success(i, "{\"i\":" + i + ",\"s\":\"" + "w".repeat(k) + "\"}");
                    }
                }));
            }
            for (Future<?> f : fs) {
                f.get(60, TimeUnit.SECONDS);
            }
        }
        try (Journal j = Journal.open(file())) {
            assertThat(j.successes()).isEqualTo(64L * perThread);
            assertThat(j.failures()).isEmpty();
            for (long i = 0; i < 64L * perThread; i++) {
                assertThat(j.record(i)).contains("{\"i\":" + i + ",\"s\":\"" + "w".repeat((int) (i % perThread)) + "\"}");
            }
        }
        assertThat(Files.readAllLines(file())).hasSize(64 * perThread + 64 * perThread / 10);
    }

    @Test
    void aWriterKilledMidAppendKeepsEveryAcknowledgedLine() throws Exception {
        Path f = file();
        Process child = ChildJvm.start(JournalWriterChild.class, tmp.resolve("child.log"), f.toString(), "30000");
        AtomicLong acknowledged = new AtomicLong(-1);
        try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            for (String line; acknowledged.get() < 500 && (line = r.readLine()) != null; ) {
                acknowledged.set(Long.parseLong(line.strip()));
                assertThat(System.nanoTime()).as("child made progress").isLessThan(deadline);
            }
            // Killed while appending: later acknowledgements, unread, claim nothing.
            child.destroyForcibly();
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            child.destroyForcibly();
        }
        long last = acknowledged.get();
        assertThat(last).as(Files.readString(tmp.resolve("child.log"))).isGreaterThanOrEqualTo(500);
        try (Journal j = Journal.open(f)) {
            assertThat(j.successes()).isGreaterThanOrEqualTo(last + 1);
            for (long i = 0; i <= last; i++) {
                assertThat(j.record(i)).as("row " + i).hasValueSatisfying(rec -> assertThat(rec).startsWith("{\"id\":"));
            }
            long size = Files.size(f);
            assertThat(size).isPositive();
            try (var ch = java.nio.channels.FileChannel.open(f)) {
                java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(1);
                ch.read(b, size - 1);
                assertThat(b.get(0)).as("file ends with a whole line").isEqualTo((byte) '\n');
            }
        }
    }
}
