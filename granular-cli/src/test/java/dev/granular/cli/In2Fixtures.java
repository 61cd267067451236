package dev.granular.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Shared pieces of the {@code granular in2} end-to-end tests: a synthetic corpus, running the CLI, reading the output. */
final class In2Fixtures {
    static final ObjectMapper JSON = new ObjectMapper();

    /** The small, fast settings every test run uses (plus --corpus, --general and --out). */
    static final List<String> SMALL = List.of("--examples", "40", "--min-tokens", "600", "--max-tokens", "2000",
            "--segment-tokens", "32", "--max-doc-tokens", "256", "--shard-size", "7",
            "--mix", "single=0.5,multi=0.2,short=0.2,general=0.1");

    private static final String[] FIRST = {"Alice", "Bernard", "Clara", "Dmitri", "Eleanor", "Farid", "Greta", "Hector",
            "Ingrid", "Jonas", "Katrin", "Leopold", "Marguerite", "Nikolai", "Ottilie", "Piotr", "Rosalind", "Silvester",
            "Theodora", "Ulrich", "Valentina", "Wendell", "Yusuf", "Zelda"};
    private static final String[] LAST = {"Ashworth", "Brennan", "Castellano", "Dunmore", "Everly", "Fairbanks",
            "Greenhalgh", "Holloway", "Ivanov", "Jessop", "Kowalski", "Lindqvist", "Montague", "Northcott", "Oyelaran",
            "Pemberton", "Quinlan", "Rutherford", "Sandoval", "Thackeray", "Underhill", "Vasquez", "Whitcombe", "Yardley"};
    private static final String[] PLACES = {"Ashford", "Bellhaven", "Carrow", "Dunwich", "Elmstead", "Fenwick",
            "Glenmoor", "Harrowgate", "Ivybridge", "Kestrel Bay", "Larkfield", "Millbrook", "Northwold", "Oakhurst",
            "Penrith", "Ravenscar", "Stonebridge", "Thornbury", "Wexley", "Yarrow"};
    private static final String[] THINGS = {"bridges", "lanterns", "wagons", "schools", "orchards", "mills", "ships",
            "libraries", "wells", "bakeries", "clocks", "looms", "granaries", "ferries", "workshops"};
    private static final String[] VERBS = {"built", "repaired", "counted", "inspected", "sold", "painted", "measured",
            "recorded", "purchased", "restored"};
    private static final String[] TEMPLATES = {
            "In %Y the council of %P voted %N to %M to fund new %T for the eastern district.",
            "%A %B %V %N %T in %P during the long winter of %Y.",
            "According to the ledger kept by %A %B, the town of %P had %N %T and %M workers.",
            "The report from %P noted that %A %B had %V exactly %N %T before the spring fair.",
            "Travellers who reached %P in %Y counted %N %T along the old river road.",
            "%A %B wrote to the mayor of %P asking for %N more %T and a budget of %M crowns.",
            "By the end of %Y the guild in %P employed %N apprentices and owned %M %T.",
            "Nobody in %P had seen %N %T in one place until %A %B arrived with the caravan.",
            "The census of %Y lists %N families in %P, of whom %M kept %T behind their houses.",
            "When the flood came to %P, %A %B saved %N %T and lost only %M of them."};

    private In2Fixtures() {
    }

    /** The outcome of one CLI run. */
    record Run(int code, String out, String err) {
        String all() {
            return out + err;
        }
    }

    /** Runs {@code granular ARGS} in process. */
    static Run granular(List<String> args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Granular.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args.toArray(String[]::new));
        return new Run(code, out.toString(), err.toString());
    }

    static Run granular(String... args) {
        return granular(List.of(args));
    }

    /**
     * {@code in2} with the small settings, the given corpus and general file, into {@code out}, plus
     * {@code extra}; an option of {@link #SMALL} that {@code extra} names again takes the value in {@code extra}.
     */
    static List<String> in2(Path corpus, Path general, Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("in2", "--corpus", corpus.toString()));
        List<String> given = Arrays.asList(extra);
        for (int i = 0; i < SMALL.size(); i += 2) {
            if (!given.contains(SMALL.get(i))) {
                a.add(SMALL.get(i));
                a.add(SMALL.get(i + 1));
            }
        }
        if (general != null) {
            a.addAll(List.of("--general", general.toString()));
        }
        a.addAll(List.of("--out", out.toString()));
        a.addAll(Arrays.asList(extra));
        return a;
    }

    /** A synthetic English corpus of {@code docs} .txt files (several paragraphs, numbers, capitalised names). */
    static Path corpus(Path dir, int docs, long seed) {
        try {
            Files.createDirectories(dir);
            Random rnd = new Random(seed);
            for (int d = 0; d < docs; d++) {
                Files.writeString(dir.resolve(String.format("doc-%04d.txt", d)), document(rnd, d));
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One document: a title line and 3 to 5 paragraphs of 3 to 6 sentences. */
    static String document(Random rnd, int d) {
        StringBuilder sb = new StringBuilder();
        sb.append("Chronicle ").append(d + 1).append(" of ").append(pick(rnd, PLACES)).append("\n\n");
        int paragraphs = 3 + rnd.nextInt(3);
        for (int p = 0; p < paragraphs; p++) {
            int sentences = 3 + rnd.nextInt(4);
            for (int s = 0; s < sentences; s++) {
                if (s > 0) {
                    sb.append(' ');
                }
                sb.append(sentence(rnd));
            }
            sb.append("\n\n");
        }
        return sb.toString();
    }

    static String sentence(Random rnd) {
        String t = pick(rnd, TEMPLATES);
        return t.replace("%Y", String.valueOf(1700 + rnd.nextInt(300)))
                .replace("%N", String.valueOf(2 + rnd.nextInt(9000)))
                .replace("%M", String.valueOf(2 + rnd.nextInt(700)))
                .replace("%A", pick(rnd, FIRST))
                .replace("%B", pick(rnd, LAST))
                .replace("%P", pick(rnd, PLACES))
                .replace("%T", pick(rnd, THINGS))
                .replace("%V", pick(rnd, VERBS));
    }

    private static String pick(Random rnd, String[] from) {
        return from[rnd.nextInt(from.length)];
    }

    /** A --general file of a few instruction rows. */
    static Path general(Path file) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 5; i++) {
            sb.append("{\"messages\":[{\"role\":\"user\",\"content\":\"What is ").append(i).append(" plus ").append(i)
                    .append("?\"},{\"role\":\"assistant\",\"content\":\"").append(2 * i).append(".\"}]}\n");
        }
        try {
            Files.writeString(file, sb.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    static JsonNode manifest(Path out) throws IOException {
        return JSON.readTree(out.resolve("manifest.json").toFile());
    }

    /** The sealed shards in DIR/data, by name. */
    static List<Path> shards(Path out) throws IOException {
        try (Stream<Path> s = Files.list(out.resolve("data"))) {
            return s.filter(p -> p.getFileName().toString().matches("part-\\d{5}\\.jsonl")).sorted().toList();
        }
    }

    /** Every file under {@code dir}, relative path to content. */
    static TreeMap<String, byte[]> files(Path dir) throws IOException {
        TreeMap<String, byte[]> m = new TreeMap<>();
        if (!Files.exists(dir)) {
            return m;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                m.put(dir.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
            }
        }
        return m;
    }

    /** The data files of a run (DIR/data/*), as a map of name to text, for comparison. */
    static TreeMap<String, String> dataFiles(Path out) throws IOException {
        TreeMap<String, String> m = new TreeMap<>();
        files(out.resolve("data")).forEach((k, v) -> m.put(k, new String(v, StandardCharsets.UTF_8)));
        return m;
    }

    /** The records of all shards in order, parsed. */
    static List<JsonNode> records(Path out) throws IOException {
        List<JsonNode> r = new ArrayList<>();
        for (Path shard : shards(out)) {
            for (String line : Files.readAllLines(shard, StandardCharsets.UTF_8)) {
                r.add(JSON.readTree(line));
            }
        }
        return r;
    }
}
