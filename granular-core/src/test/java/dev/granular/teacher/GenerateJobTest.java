package dev.granular.teacher;

import dev.granular.teacher.internal.GenerateRun;
import dev.granular.teacher.internal.FileWrites;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.granular.files.OutputDirectory;
import dev.granular.io.StoppedEarlyException;
import dev.granular.teacher.testserver.FakeLlmServer;
import dev.granular.teacher.testserver.Reply;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link GenerateJob} with an injected full disk (issue 17.7): what was paid for is journalled first, and the run says why it stopped. */
class GenerateJobTest {
    @TempDir
    Path tmp;

    FakeLlmServer server;

    @BeforeEach
    void start() throws IOException {
        server = FakeLlmServer.start();
        server.script(r -> Reply.text("reply to " + r.lastUserMessage()));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    GenerateJob.Spec spec(Path in, int concurrency) {
        ModelSpec model = ModelSpec.parse("openai:test@" + server.baseUrl(), null);
        return new GenerateJob.Spec(List.of(in), model, GenerationParams.DEFAULT, 1, null,
                new ClientLimits(concurrency, 0, 0, 0, java.time.Duration.ofSeconds(20), 2), null, null, null, 0,
                tmp.resolve("out"), 1000, false, List.of("generate"), Map.of());
    }

    Path prompts(int n) throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            lines.add("{\"id\":\"r" + i + "\",\"prompt\":\"question " + i + "\"}");
        }
        Path p = tmp.resolve("in.jsonl");
        Files.write(p, lines);
        return p;
    }

    /** Writes to the paid replies succeed {@code room} times, then the disk is full; other files are unaffected. */
    static FileWrites diskFullAfter(int room) {
        AtomicInteger left = new AtomicInteger(room);
        return (ch, src, pos) -> {
            if (left.getAndDecrement() <= 0) {
                throw new IOException("No space left on device");
            }
            return ch.write(src, pos);
        };
    }

    @Test
    void aFullDiskStopsTheRunSayingSoAndKeepsEveryReplyJournalledBefore() throws Exception {
        Path in = prompts(40);
        int concurrency = 4;

        Throwable t = catchThrowable(() -> GenerateRun.run(spec(in, concurrency), RowListener.NONE, diskFullAfter(10)));

        assertThat(t).isInstanceOf(StoppedEarlyException.class).hasMessageContaining("No space left on device")
                .hasMessageContaining("the disk is full");
        long sent = server.totalRequests();
        assertThat(sent).as("no new requests once the disk is full: at most those in flight").isLessThan(10 + 2L * concurrency);
        Path replies = tmp.resolve("out").resolve(OutputDirectory.PAID_REPLIES);
        assertThat(replies).exists();

        GenerateJob.Result r = GenerateJob.run(spec(in, concurrency), RowListener.NONE);

        assertThat(r.ok()).isEqualTo(40);
        // The 10 writes that fit held 5 replies, each followed by its row's line: those 5 rows are not asked again.
        assertThat(server.totalRequests() - sent).isLessThanOrEqualTo(40 - 5);
    }

    @Test
    void theRowJournalFailingStopsTheRunTooWithTheCause() throws Exception {
        Path in = prompts(20);
        // Row journal and replies share the writes: the failure hits whichever writes next.
        Throwable t = catchThrowable(() -> GenerateRun.run(spec(in, 1), RowListener.NONE, diskFullAfter(7)));

        assertThat(t).isInstanceOf(StoppedEarlyException.class).hasMessageContaining("No space left on device");
        assertThat(server.totalRequests()).as("concurrency 1: nothing after the failing write").isLessThanOrEqualTo(5);
    }
}
