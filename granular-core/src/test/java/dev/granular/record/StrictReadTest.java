package dev.granular.record;

import dev.granular.io.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** Every rule of the strict reader, each checked through a real file at a known line. */
class StrictReadTest {
    /** A valid first line, so that the bad one is line 2. */
    static final String GOOD = q("{'id':'ok','messages':[{'role':'user','content':'Hi','train':false}],'meta':{'design':'in2'}}");
    static final String U = "{'role':'user','content':'Hi','train':false}";
    static final String M = "'meta':{'design':'in2'}";

    @TempDir
    Path dir;

    /** JSON with single quotes, for readability. */
    static String q(String json) {
        return json.replace('\'', '"');
    }

    /** A record whose only message is an 11-code-point assistant message with these spans. */
    static String detail(boolean train, String spans) {
        return "{'id':'x','messages':[{'role':'assistant','content':'Hello world','train':" + train
                + ",'train_detail':" + spans + "}]," + M + "}";
    }

    static Stream<Arguments> badLines() {
        return Stream.of(
                arguments("{'messages':[" + U + "]," + M + "}", "missing field \"id\""),
                arguments("{'id':'','messages':[" + U + "]," + M + "}", "id: must be a non-empty string"),
                arguments("{'id':5,'messages':[" + U + "]," + M + "}", "id must be a string, found number 5"),
                arguments("{'id':'x'," + M + "}", "missing field \"messages\""),
                arguments("{'id':'x','messages':[]," + M + "}", "messages: must not be empty"),
                arguments("{'id':'x','messages':{}," + M + "}", "messages must be an array, found object"),
                arguments("{'id':'x','messages':[3]," + M + "}", "messages[0] must be an object, found number 3"),
                arguments("{'id':'x','messages':[" + U + ",{'role':'function','content':'','train':false}]," + M + "}",
                        "messages[1].role: unknown role \"function\" (allowed: system, user, assistant, tool)"),
                arguments("{'id':'x','messages':[{'role':'User','content':'','train':false}]," + M + "}",
                        "messages[0].role: unknown role \"User\" (allowed: system, user, assistant, tool)"),
                arguments("{'id':'x','messages':[{'content':'','train':false}]," + M + "}",
                        "messages[0]: missing field \"role\""),
                arguments("{'id':'x','messages':[{'role':'user','content':5,'train':false}]," + M + "}",
                        "messages[0].content must be a string, found number 5"),
                arguments("{'id':'x','messages':[{'role':'user','content':null,'train':false}]," + M + "}",
                        "messages[0].content: may be null only in an assistant message with tool_calls"),
                arguments("{'id':'x','messages':[{'role':'user','train':false}]," + M + "}",
                        "messages[0]: missing field \"content\""),
                arguments("{'id':'x','messages':[{'role':'user','content':'q'}]," + M + "}",
                        "messages[0]: missing field \"train\""),
                arguments("{'id':'x','messages':[{'role':'user','content':'q','train':'true'}]," + M + "}",
                        "messages[0].train must be a boolean, found string"),
                arguments("{'id':'x','messages':[{'role':'user','content':'q','train':1}]," + M + "}",
                        "messages[0].train must be a boolean, found number 1"),
                arguments("{'id':'x','messages':[{'role':'user','content':'q','train':false,'reasoning_content':1}]," + M + "}",
                        "messages[0].reasoning_content must be a string, found number 1"),
                arguments("{'id':'x','messages':[{'role':'user','contnet':'q','train':false}]," + M + "}",
                        "messages[0]: unknown field \"contnet\" (allowed: role, content, reasoning_content, tool_calls, tool_call_id, name, train, train_detail)"),
                arguments("{'id':'x','mesages':[" + U + "]," + M + "}",
                        "unknown field \"mesages\" (allowed: id, messages, tools, meta)"),
                arguments("{'id':'x','messages':[" + U + "],'tools':{}," + M + "}", "tools must be an array, found object"),
                arguments("{'id':'x','messages':[" + U + "]}", "missing field \"meta\""),
                arguments("{'id':'x','messages':[" + U + "],'meta':[]}", "meta must be an object, found array"),
                arguments("{'id':'x','messages':[" + U + "],'meta':{'seed':1}}",
                        "meta.design: must be a non-empty string (the data design, e.g. \"in2\"), found nothing"),
                arguments("{'id':'x','messages':[" + U + "],'meta':{'design':''}}",
                        "meta.design: must be a non-empty string (the data design, e.g. \"in2\"), found \"\""),
                arguments("{'id':'x','messages':[" + U + "],'meta':{'design':3}}",
                        "meta.design: must be a non-empty string (the data design, e.g. \"in2\"), found 3"),
                // train_detail
                arguments(detail(true, "{}"), "messages[0].train_detail must be an array, found object"),
                arguments(detail(true, "[5]"), "messages[0].train_detail[0] must be an object, found number 5"),
                arguments(detail(true, "[{'begin_offset':3,'end_offset':3,'train':true}]"),
                        "messages[0].train_detail[0]: end_offset 3 must be > begin_offset 3 (spans must not be empty)"),
                arguments(detail(true, "[{'begin_offset':-1,'end_offset':3,'train':true}]"),
                        "messages[0].train_detail[0]: begin_offset -1 must be >= 0"),
                arguments(detail(true, "[{'begin_offset':1.5,'end_offset':11,'train':true}]"),
                        "messages[0].train_detail[0].begin_offset must be an integer, found number 1.5"),
                arguments(detail(true, "[{'begin_offset':'0','end_offset':11,'train':true}]"),
                        "messages[0].train_detail[0].begin_offset must be an integer, found string"),
                arguments(detail(true, "[{'begin_offset':0,'end_offset':3000000000,'train':true}]"),
                        "messages[0].train_detail[0].end_offset: 3000000000 is out of range"),
                arguments(detail(true, "[{'begin_offset':0,'train':true}]"),
                        "messages[0].train_detail[0]: missing field \"end_offset\""),
                arguments(detail(true, "[{'begin_offset':0,'end_offset':11,'trian':true}]"),
                        "messages[0].train_detail[0]: unknown field \"trian\" (allowed: begin_offset, end_offset, train)"),
                arguments(detail(true, "[{'begin_offset':1,'end_offset':11,'train':true}]"),
                        "messages[0].train_detail[0]: begin_offset 1 != 0 (the first span must begin at 0)"),
                arguments(detail(true, "[{'begin_offset':0,'end_offset':5,'train':true},{'begin_offset':6,'end_offset':11,'train':true}]"),
                        "messages[0].train_detail[1]: begin_offset 6 != previous end_offset 5"),
                arguments(detail(true, "[{'begin_offset':0,'end_offset':5,'train':true},{'begin_offset':4,'end_offset':11,'train':true}]"),
                        "messages[0].train_detail[1]: begin_offset 4 != previous end_offset 5"),
                arguments(detail(true, "[{'begin_offset':0,'end_offset':5,'train':true},{'begin_offset':5,'end_offset':10,'train':true}]"),
                        "messages[0].train_detail[1]: end_offset 10 != content length 11 (code points; the last span must end there)"),
                arguments(detail(true, "[{'begin_offset':0,'end_offset':12,'train':true}]"),
                        "messages[0].train_detail[0]: end_offset 12 > content length 11 (code points)"),
                arguments(detail(true, "[]"),
                        "messages[0].train_detail: must not be empty for content of length 11 (omit train_detail to train the whole message by train)"),
                arguments(detail(true, "[{'begin_offset':0,'end_offset':5,'train':false},{'begin_offset':5,'end_offset':11,'train':false}]"),
                        "messages[0].train: expected false because no train_detail span has train=true, found true"),
                arguments(detail(false, "[{'begin_offset':0,'end_offset':5,'train':false},{'begin_offset':5,'end_offset':11,'train':true}]"),
                        "messages[0].train: expected true because a train_detail span has train=true, found false"),
                arguments("{'id':'x','messages':[{'role':'assistant','content':'','train':false,"
                                + "'train_detail':[{'begin_offset':0,'end_offset':1,'train':false}]}]," + M + "}",
                        "messages[0].train_detail: must be empty for empty content, found 1 span"),
                // Offsets count code points: 'a😀b' is 3 long although Java's length() is 4.
                arguments("{'id':'x','messages':[{'role':'assistant','content':'a😀b','train':true,"
                                + "'train_detail':[{'begin_offset':0,'end_offset':1,'train':false},{'begin_offset':1,'end_offset':4,'train':true}]}]," + M + "}",
                        "messages[0].train_detail[1]: end_offset 4 > content length 3 (code points)"),
                // not an object / not JSON
                arguments("[1,2]", "expected a JSON object, found array"),
                arguments("42", "expected a JSON object, found number")
        );
    }

    @ParameterizedTest
    @MethodSource("badLines")
    void rejectsBadRecordAtItsLine(String badLine, String expected) throws IOException {
        Path file = write("part-00000.jsonl", GOOD + "\n" + q(badLine) + "\n" + q(GOOD.replace("\"ok\"", "\"ok2\"")) + "\n");

        assertThatThrownBy(() -> RecordReader.readAll(file))
                .isInstanceOf(BadInputException.class)
                .hasMessage(file + ":2: " + expected);
    }

    @Test
    void rejectsDuplicateJsonKeys() throws IOException {
        Path file = write("d.jsonl", GOOD + "\n" + q("{'id':'a','id':'b','messages':[" + U + "]," + M + "}") + "\n");

        assertThatThrownBy(() -> RecordReader.readAll(file))
                .hasMessageStartingWith(file + ":2: invalid JSON: Duplicate field 'id'");
    }

    @Test
    void rejectsTruncatedJsonAndTrailingGarbage() throws IOException {
        Path truncated = write("t.jsonl", GOOD + "\n" + GOOD.substring(0, 30) + "\n");
        Path trailing = write("g.jsonl", GOOD + "\n" + GOOD.replace("\"ok\"", "\"b\"") + " {}\n");

        assertThatThrownBy(() -> RecordReader.readAll(truncated))
                .hasMessageStartingWith(truncated + ":2: invalid JSON: Unexpected end-of-input");
        assertThatThrownBy(() -> RecordReader.readAll(trailing))
                .hasMessageStartingWith(trailing + ":2: invalid JSON: Trailing token");
    }

    @Test
    void rejectsDuplicateIdsNamingBothLines() throws IOException {
        Path first = write("data/part-00000.jsonl", GOOD + "\n");
        Path second = write("data/part-00001.jsonl", GOOD.replace("\"ok\"", "\"b\"") + "\n" + GOOD + "\n");

        assertThatThrownBy(() -> RecordReader.readAll(dir))
                .hasMessage(second + ":2: duplicate id \"ok\" (first at " + first + ":1)");
    }

    @Test
    void rejectsInvalidUtf8WithoutReplacingBytes() throws IOException {
        byte[] bad = q("{'id':'x','messages':[{'role':'user','content':'caf\u00e9','train':false}]," + M + "}")
                .getBytes(StandardCharsets.UTF_8);
        int at = indexOf(bad, (byte) 0xC3);
        bad[at] = (byte) 0xFF; // 0xFF never occurs in UTF-8
        Path file = dir.resolve("u.jsonl");
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write((GOOD + "\n").getBytes(StandardCharsets.UTF_8));
            out.write(bad);
            out.write('\n');
        }

        assertThatThrownBy(() -> RecordReader.readAll(file))
                .hasMessage(file + ":2: invalid UTF-8 at byte " + (at + 1) + " of the line (0xFF)");
    }

    @Test
    void rejectsBlankLinesButAllowsOneTrailingNewline() throws IOException {
        String second = GOOD.replace("\"ok\"", "\"b\"");
        Path middle = write("m.jsonl", GOOD + "\n\n" + second + "\n");
        Path end = write("e.jsonl", GOOD + "\n\n");
        Path spaces = write("s.jsonl", GOOD + "\n  \n");
        Path noNewline = write("n.jsonl", GOOD + "\n" + second);
        Path oneNewline = write("o.jsonl", GOOD + "\n" + second + "\n");

        assertThatThrownBy(() -> RecordReader.readAll(middle)).hasMessageStartingWith(middle + ":2: blank line");
        assertThatThrownBy(() -> RecordReader.readAll(end)).hasMessageStartingWith(end + ":2: blank line");
        assertThatThrownBy(() -> RecordReader.readAll(spaces)).hasMessageStartingWith(spaces + ":2: blank line");
        assertThat(RecordReader.readAll(noNewline)).hasSize(2);
        assertThat(RecordReader.readAll(oneNewline)).hasSize(2);
    }

    @Test
    void rejectsByteOrderMark() throws IOException {
        Path file = write("bom.jsonl", "\uFEFF" + GOOD + "\n");

        assertThatThrownBy(() -> RecordReader.readAll(file)).hasMessageStartingWith(file + ":1: file starts with a byte order mark");
    }

    @Test
    void acceptsEmojiOffsetsInCodePoints() {
        String line = q("{'id':'x','messages':[{'role':'assistant','content':'a😀b','train':true,'train_detail':["
                + "{'begin_offset':0,'end_offset':1,'train':false},{'begin_offset':1,'end_offset':2,'train':true},"
                + "{'begin_offset':2,'end_offset':3,'train':false}]}]," + M + "}");

        TrainingRecord record = RecordJson.parse(line, "f", 1);

        assertThat(record.messages().getFirst().trainDetail()).extracting(TrainSpan::length).containsExactly(1, 1, 1);
        assertThat(record.messages().getFirst().contentLength()).isEqualTo(3);
    }

    @Test
    void readsGzip() throws IOException {
        Path file = dir.resolve("a.jsonl.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            out.write((GOOD + "\n").getBytes(StandardCharsets.UTF_8));
        }

        assertThat(RecordReader.readAll(file)).extracting(TrainingRecord::id).containsExactly("ok");
    }

    @Test
    void reportsTruncatedGzip() throws IOException {
        Path file = dir.resolve("a.jsonl.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            for (int i = 0; i < 200; i++) {
                out.write((GOOD.replace("\"ok\"", "\"r" + i + "\"") + "\n").getBytes(StandardCharsets.UTF_8));
            }
        }
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 12));

        assertThatThrownBy(() -> RecordReader.readAll(file))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining(file + ":")
                .hasMessageContaining("corrupt gzip data");
    }

    private Path write(String name, String text) throws IOException {
        Path file = dir.resolve(name);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
        return file;
    }

    private static int indexOf(byte[] bytes, byte b) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        throw new AssertionError("byte not found");
    }
}
