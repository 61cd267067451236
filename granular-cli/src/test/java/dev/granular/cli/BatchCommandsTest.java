package dev.granular.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granular.teacher.testserver.FakeLlmServer;
import dev.granular.teacher.testserver.Reply;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --batch} on a command with two models (self-correct: student, then teacher) sharing one batches journal. */
class BatchCommandsTest {
    @TempDir
    Path tmp;

    @Test
    void selfCorrectSendsBothModelsThroughBatchesAndARerunSubmitsNothing() throws Exception {
        try (FakeLlmServer server = FakeLlmServer.start()) {
            server.script(r -> r.model().equals("student")
                    ? Reply.text(r.lastUserMessage().startsWith("1+1") ? "One and one.\n#### 2" : "Guess.\n#### 5")
                    : Reply.text(r.lastUserMessage().contains("reaches the right result")
                    ? "{\"verification\": \"Checked again; it holds.\"}"
                    : "{\"verification\": \"That is wrong; 2+2 is four.\", \"correction\": \"Two and two.\\n#### 4\"}"));
            Path tasks = tmp.resolve("t.jsonl");
            Files.writeString(tasks, "{\"id\":\"a\",\"question\":\"1+1?\",\"answer\":\"2\"}\n{\"id\":\"b\",\"question\":\"2+2?\",\"answer\":\"4\"}\n");
            String[] args = {"self-correct", "--tasks", tasks.toString(), "--student", "openai:student@" + server.baseUrl(),
                    "--teacher", "openai:teacher@" + server.baseUrl(), "--out", tmp.resolve("out").toString(), "--no-cache",
                    "--samples", "2", "--batch", "--batch-poll", "20ms", "--batch-linger", "50ms"};
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = Granular.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);

            assertThat(code).as(err.toString()).isEqualTo(Granular.OK);
            assertThat(out.toString()).contains("2 records (1 good, 1 bad; bad share 0.50");
            assertThat(server.requestsPerPath()).doesNotContainKeys("/v1/chat/completions");
            assertThat(server.batches().batchesAccepted()).isGreaterThanOrEqualTo(2); // the student's, then the teacher's
            assertThat(server.batches().submittedIds()).doesNotHaveDuplicates();
            assertThat(Files.readAllLines(tmp.resolve("out/.granular/batches.jsonl")))
                    .anyMatch(l -> l.contains("openai:student@")).anyMatch(l -> l.contains("openai:teacher@"));

            int batches = server.batches().batchesAccepted();
            int again = Granular.commandLine(new PrintWriter(new StringWriter(), true), new PrintWriter(new StringWriter(), true))
                    .execute(args);
            assertThat(again).isEqualTo(Granular.OK);
            assertThat(server.batches().batchesAccepted()).as("every reply is journalled").isEqualTo(batches);
        }
    }
}
