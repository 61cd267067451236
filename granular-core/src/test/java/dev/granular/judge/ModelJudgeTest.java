package dev.granular.judge;

import dev.granular.teacher.ClientLimits;
import dev.granular.teacher.internal.CostMeter;
import dev.granular.teacher.internal.LlmClient;
import dev.granular.teacher.ModelSpec;
import dev.granular.teacher.internal.Outcome;
import dev.granular.teacher.internal.PriceTable;
import dev.granular.teacher.internal.ResponseCache;
import dev.granular.teacher.testserver.FakeLlmServer;
import dev.granular.teacher.testserver.Reply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A model judge against a fake server: its verdicts, and its own failures kept apart from the reply's. */
class ModelJudgeTest {

    static final Task TASK = new Task("What is 6 x 7?", "42", List.of());

    FakeLlmServer server;
    LlmClient client;

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    ModelJudge judge(Reply reply) throws IOException {
        server = FakeLlmServer.start().script(r -> reply);
        ModelSpec spec = ModelSpec.parse("openai:judge@" + server.baseUrl(), null);
        client = LlmClient.open(spec, Map.of("OPENAI_API_KEY", "sk-test"), new ClientLimits(4, 0, 0, 0, Duration.ofSeconds(10), 1),
                ResponseCache.NONE, new CostMeter(PriceTable.builtIn()));
        return new ModelJudge(client);
    }

    @Test
    void theModelsVerdictIsTheVerdict() throws IOException {
        ModelJudge j = judge(Reply.text("{\"correct\": true, \"extracted\": \"42\"}"));
        Verdict v = j.judge(TASK, "Six sevens are 42.");
        assertThat(v.outcome()).isEqualTo(Verdict.Outcome.CORRECT);
        assertThat(v.extracted()).isEqualTo("42");
        assertThat(v.judged()).isTrue();
        assertThat(v.judgeFailure()).isNull();
    }

    @Test
    void aFailedJudgeCallIsTheJudgesFailureNotAWrongReply() throws IOException {
        ModelJudge j = judge(Reply.status(400));
        Verdict v = j.judge(TASK, "Six sevens are 42.");
        assertThat(v.outcome()).isEqualTo(Verdict.Outcome.JUDGE_FAILED);
        assertThat(v.judged()).isFalse();
        assertThat(v.correct()).isFalse();
        assertThat(v.judgeFailure().kind()).isEqualTo(Outcome.FailureKind.CLIENT_ERROR);
        assertThat(v.judgeFailure().status()).isEqualTo(400);
        assertThat(v.reason()).startsWith("judge model failed: ");
    }

    @Test
    void verdictsCarryAFailureExactlyWhenTheJudgeFailed() {
        assertThatThrownBy(() -> new Verdict(Verdict.Outcome.JUDGE_FAILED, null, "x"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Verdict(Verdict.Outcome.WRONG, "1", "x",
                new Outcome.Failed(Outcome.FailureKind.CLIENT_ERROR, "m", 400, 1))).isInstanceOf(IllegalArgumentException.class);
        assertThat(new Verdict(Verdict.Outcome.UNPARSEABLE, null, "no number").judged()).isTrue();
    }
}
