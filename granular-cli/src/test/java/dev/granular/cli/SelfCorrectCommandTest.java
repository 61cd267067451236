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

/** {@code granular self-correct} from the command line, against the fake server as student and teacher. */
class SelfCorrectCommandTest {
    @TempDir
    Path tmp;

    int run(StringWriter out, StringWriter err, String... args) {
        return Granular.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
    }

    @Test
    void runsEndToEndAndBadRowsExitTwoWithFileAndLine() throws Exception {
        try (FakeLlmServer server = FakeLlmServer.start()) {
            server.script(r -> r.model().equals("student")
                    ? Reply.text(r.lastUserMessage().startsWith("1+1") ? "One and one.\n#### 2" : "Guess.\n#### 5")
                    : Reply.text(r.lastUserMessage().contains("reaches the right result")
                    ? "{\"verification\": \"Checked again; it holds.\"}"
                    : "{\"verification\": \"That is wrong; 2+2 is four.\", \"correction\": \"Two and two.\\n#### 4\"}"));
            Path tasks = tmp.resolve("t.jsonl");
            Files.writeString(tasks, "{\"id\":\"a\",\"question\":\"1+1?\",\"answer\":\"2\"}\n{\"id\":\"b\",\"question\":\"2+2?\",\"answer\":\"4\"}\n");
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = run(out, err, "self-correct", "--tasks", tasks.toString(), "--student", "openai:student@" + server.baseUrl(),
                    "--teacher", "openai:teacher@" + server.baseUrl(), "--out", tmp.resolve("out").toString(), "--no-cache",
                    "--samples", "2");
            assertThat(code).as(err.toString()).isEqualTo(Granular.OK);
            assertThat(out.toString()).contains("2 records (1 good, 1 bad; bad share 0.50");
            assertThat(tmp.resolve("out/manifest.json")).exists();

            Files.writeString(tasks, "{\"id\":\"a\",\"question\":\"1+1?\",\"answer\":\"2\"}\n{\"id\":\"b\",\"answer\":\"4\"}\n");
            StringWriter err2 = new StringWriter();
            int bad = run(new StringWriter(), err2, "self-correct", "--tasks", tasks.toString(), "--student", "openai:s@" + server.baseUrl(),
                    "--teacher", "openai:t@" + server.baseUrl(), "--out", tmp.resolve("out2").toString(), "--no-cache");
            assertThat(bad).isEqualTo(Granular.BAD_INPUT);
            assertThat(err2.toString()).contains("t.jsonl").contains("2").contains("no question");
        }
    }

    @Test
    void aFailingModelJudgeFailsTheRowAndARerunJudgesAgain() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean judgeDown = new java.util.concurrent.atomic.AtomicBoolean(true);
        try (FakeLlmServer server = FakeLlmServer.start()) {
            server.script(r -> switch (r.model()) {
                case "student" -> Reply.text(r.lastUserMessage().startsWith("1+1") ? "One and one.\n#### 2" : "Guess.\n#### 5");
                case "judge" -> judgeDown.get() ? Reply.status(400)
                        // a judge that agrees with the gold answer it is shown: "#### 2" for 1+1, "#### 4" for 2+2
                        : Reply.text(r.lastUserMessage().contains("#### 2") || r.lastUserMessage().contains("#### 4")
                        ? "{\"correct\": true}" : "{\"correct\": false}");
                default -> Reply.text(r.lastUserMessage().contains("reaches the right result")
                        ? "{\"verification\": \"Checked again; it holds.\"}"
                        : "{\"verification\": \"That is wrong; 2+2 is four.\", \"correction\": \"Two and two.\\n#### 4\"}");
            });
            Path tasks = tmp.resolve("t.jsonl");
            Files.writeString(tasks, "{\"id\":\"a\",\"question\":\"1+1?\",\"answer\":\"2\"}\n{\"id\":\"b\",\"question\":\"2+2?\",\"answer\":\"4\"}\n");
            String[] args = {"self-correct", "--tasks", tasks.toString(), "--student", "openai:student@" + server.baseUrl(),
                    "--teacher", "openai:teacher@" + server.baseUrl(), "--judge", "model:openai:judge@" + server.baseUrl(),
                    "--out", tmp.resolve("out").toString(), "--cache", tmp.resolve("c.sqlite").toString()};
            StringWriter err = new StringWriter();
            int code = run(new StringWriter(), err, args);
            // The student's answers were not judged: not "unparseable", not "wrong": the rows failed, resumable.
            assertThat(code).as(err.toString()).isEqualTo(Granular.STOPPED_EARLY);
            assertThat(Files.readString(tmp.resolve("out/failed.jsonl"))).contains("\"judge_failed\"").contains("judge model failed");

            judgeDown.set(false);
            StringWriter out = new StringWriter();
            StringWriter err2 = new StringWriter();
            code = run(out, err2, args);
            assertThat(code).as(err2.toString()).isEqualTo(Granular.OK);
            assertThat(out.toString()).contains("2 records (1 good, 1 bad");
        }
    }

    @Test
    void aDryRunCountsTheStudentsRequestsAndAssumesTheTeachers() throws Exception {
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
                    "--samples", "2", "--max-tokens", "50"};
            String[] dry = java.util.stream.Stream.concat(java.util.Arrays.stream(args), java.util.stream.Stream.of("--dry-run-json"))
                    .toArray(String[]::new);
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            assertThat(run(out, err, dry)).as(err.toString()).isEqualTo(Granular.OK);
            assertThat(server.totalRequests()).isZero();
            assertThat(tmp.resolve("out")).doesNotExist();
            com.fasterxml.jackson.databind.JsonNode e = new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.toString());
            assertThat(e.path("lines").get(0).path("step").asText()).isEqualTo("student");
            assertThat(e.path("lines").get(0).path("requests").asLong()).isEqualTo(4);
            assertThat(e.path("lines").get(0).path("completion_tokens").asLong()).isEqualTo(200);
            assertThat(e.path("lines").get(1).path("step").asText()).isEqualTo("teacher");
            assertThat(e.path("lines").get(1).path("requests").asLong()).isEqualTo(4);

            assertThat(run(new StringWriter(), new StringWriter(), args)).isEqualTo(Granular.OK);
            StringWriter out2 = new StringWriter();
            run(out2, new StringWriter(), dry);
            com.fasterxml.jackson.databind.JsonNode e2 = new com.fasterxml.jackson.databind.ObjectMapper().readTree(out2.toString());
            assertThat(e2.path("lines").get(0).path("free").asLong()).as("the student's requests are the run's own").isEqualTo(4);
        }
    }
}
