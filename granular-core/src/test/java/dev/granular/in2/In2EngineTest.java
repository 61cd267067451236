package dev.granular.in2;

import dev.granular.in2.internal.In2Assembly;
import dev.granular.in2.internal.In2Draw;
import dev.granular.in2.internal.In2Engine;
import dev.granular.in2.internal.In2Engines;
import dev.granular.in2.internal.In2General;
import dev.granular.in2.internal.In2Segments;

import dev.granular.corpus.Corpus;
import dev.granular.corpus.CorpusOptions;
import dev.granular.corpus.internal.Decontaminator;
import dev.granular.corpus.Document;
import dev.granular.tokenize.Tokenizer;
import dev.granular.tokenize.Tokenizers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link In2Engine}: a run whose documents are prepared out of order and whose examples are drawn over a
 * copy of the store (as a distributed engine does) writes the same data files, byte for byte, as a local run.
 */
class In2EngineTest {
    @TempDir
    Path dir;

    /** Prepares documents in reverse order, then appends them in corpus order; draws over its own copy of the store. */
    static final class ScrambledEngine implements In2Engine {
        final String tokenizer;
        final Path copy;
        final AtomicInteger drawn = new AtomicInteger();
        Path store;

        ScrambledEngine(String tokenizer, Path copy) {
            this.tokenizer = tokenizer;
            this.copy = copy;
        }

        @Override
        public String name() {
            return "test";
        }

        @Override
        public In2Engine.Segmented segment(Corpus corpus, In2Config config, Decontaminator exclude, In2Segments.Writer writer) {
            List<Document> docs = new ArrayList<>();
            var skipped = corpus.forEach(docs::add);
            List<In2Segments.Prepared> prepared = new ArrayList<>();
            try (Tokenizer tok = Tokenizers.load(tokenizer)) {
                In2Segments.Preparer preparer = In2Segments.preparer(tok, config, exclude);
                for (Document d : docs.reversed()) {
                    prepared.add(preparer.prepare(d));
                }
            }
            Collections.reverse(prepared);
            prepared.forEach(writer::append);
            store = writer.dir();
            return new In2Engine.Segmented(docs.size(), skipped);
        }

        @Override
        public Iterator<In2Draw> draws(In2Design design, long from) {
            try (Stream<Path> files = Files.list(store)) {
                Files.createDirectories(copy);
                for (Path f : files.toList()) {
                    Files.copy(f, copy.resolve(f.getFileName()));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            List<In2Draw> draws = new ArrayList<>();
            try (Tokenizer tok = Tokenizers.load(tokenizer)) {
                In2 in2 = In2.of(design.config());
                if (chatTemplate != null) {
                    in2 = in2.withChatTemplate(In2Job.loadChatTemplate(tokenizer, chatTemplate));
                }
                In2Design remote = In2Engines.openDesign(in2, copy, tok, ship(In2Engines.general(design)));
                for (long i = design.size() - 1; i >= from; i--) {
                    draws.add(In2Engines.draw(remote, i));
                }
            }
            draws.sort(Comparator.comparingLong(In2Draw::index));
            drawn.set(draws.size());
            return draws.iterator();
        }

        String chatTemplate;
    }

    /** {@code general} as a worker receives it: serialized and read back. */
    static In2General ship(In2General general) {
        try {
            var bytes = new java.io.ByteArrayOutputStream();
            try (var o = new java.io.ObjectOutputStream(bytes)) {
                o.writeObject(general);
            }
            try (var in = new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
                return (In2General) in.readObject();
            }
        } catch (IOException | ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
    }

    static In2Job.Spec spec(In2Config config, String tokenizer, Path out) {
        return new In2Job.Spec(List.of(), CorpusOptions.defaults(), List.of(), null, tokenizer, config, out, 25, false, 2,
                List.of("in2"));
    }

    @Test
    void anEngineWritesTheLocalRunsDataFiles() throws Exception {
        In2Config config = In2Config.DEFAULT.withExamples(60).withContext(1024, 4096).withSegmentation(128, 512);
        In2Job.run(spec(config, "o200k_base", dir.resolve("local")), In2Job.Listener.NONE);
        ScrambledEngine engine = new ScrambledEngine("o200k_base", dir.resolve("copy"));
        In2Job.Result r = In2Engines.run(spec(config, "o200k_base", dir.resolve("engine")), In2Job.Listener.NONE, engine);
        assertThat(r.written()).isEqualTo(60);
        assertThat(engine.drawn.get()).isEqualTo(60);
        assertSameFiles(dir.resolve("local"), dir.resolve("engine"), "data");
        var local = new com.fasterxml.jackson.databind.ObjectMapper().readTree(dir.resolve("local/manifest.json").toFile());
        var remote = new com.fasterxml.jackson.databind.ObjectMapper().readTree(dir.resolve("engine/manifest.json").toFile());
        assertThat(remote.get("counts")).isEqualTo(local.get("counts"));
        assertThat(remote.get("corpus")).isEqualTo(local.get("corpus"));
        assertThat(remote.get("fingerprint")).isEqualTo(local.get("fingerprint"));
        assertThat(remote.path("engine").asText()).isEqualTo("test");
        assertThat(local.has("engine")).isFalse();
    }

    /**
     * With exclude files and general rows: the engine's preparers drop the same documents (counted as the local run
     * counts them) and its draws, over the general rows shipped, copy the same rows.
     */
    @Test
    void anEngineDecontaminatesAndDrawsGeneralRowsAsALocalRun() throws Exception {
        Path eval = dir.resolve("eval.txt");
        Files.writeString(eval, quoteOfBundledDocument(2));
        Path general = generalRows(dir.resolve("general.jsonl"));
        In2Config config = In2Config.DEFAULT.withExamples(60).withContext(1024, 4096).withSegmentation(128, 512);
        In2Job.Spec local = new In2Job.Spec(List.of(), CorpusOptions.defaults(), List.of(eval), List.of(general), "o200k_base", config,
                dir.resolve("local"), 25, false, 2, List.of("in2"));
        In2Job.run(local, In2Job.Listener.NONE);
        ScrambledEngine engine = new ScrambledEngine("o200k_base", dir.resolve("copy"));
        In2Job.Spec remote = new In2Job.Spec(List.of(), CorpusOptions.defaults(), List.of(eval), List.of(general), "o200k_base", config,
                dir.resolve("engine"), 25, false, 2, List.of("in2"));
        In2Engines.run(remote, In2Job.Listener.NONE, engine);
        assertSameFiles(dir.resolve("local"), dir.resolve("engine"), "data");
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var l = json.readTree(dir.resolve("local/manifest.json").toFile());
        var e = json.readTree(dir.resolve("engine/manifest.json").toFile());
        assertThat(l.path("corpus").path("decontaminated").asLong()).isEqualTo(1);
        assertThat(e.get("corpus")).isEqualTo(l.get("corpus"));
        assertThat(e.get("counts")).isEqualTo(l.get("counts"));
        assertThat(l.path("counts").path("by_kind").path("general").asLong()).isPositive();
    }

    /**
     * A worker's first call may be {@link In2Engines#openDesign} (a Spark executor without a chat template touches
     * nothing else): the entry points initialize {@code In2Job}, which registers their access, themselves. Checked in
     * a fresh JVM, where no earlier test has initialized it.
     */
    @Test
    void theEntryPointsWorkBeforeIn2JobIsInitialized() throws Exception {
        String out = new String(dev.granular.teacher.internal.ChildJvm.start(FreshWorker.class, dir.resolve("child.log"), dir.toString())
                .getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(out).as(Files.exists(dir.resolve("child.log")) ? Files.readString(dir.resolve("child.log")) : "")
                .isEqualTo("general rows: 0, draws equal the examples: true\n");
    }

    /** {@link #theEntryPointsWorkBeforeIn2JobIsInitialized}'s child: a design, reopened and drawn as a worker does. */
    static final class FreshWorker {
        public static void main(String[] args) throws Exception {
            Path dir = Path.of(args[0]);
            In2Config config = In2Config.DEFAULT.withExamples(12).withContext(1024, 4096).withSegmentation(128, 512);
            try (Tokenizer tok = Tokenizers.load("o200k_base")) {
                In2 in2 = In2.of(config);
                In2Design design = in2.design(Corpus.bundled(), tok, dir.resolve("store"));
                In2General general = In2Engines.general(design);
                In2Design remote = In2Engines.openDesign(in2, dir.resolve("store"), tok, general);
                boolean same = true;
                for (long i = 0; i < design.size(); i++) {
                    same &= In2Engines.draw(remote, i).json().equals(dev.granular.record.RecordJson.toJson(design.example(i)));
                }
                System.out.print("general rows: " + general.size() + ", draws equal the examples: " + same + "\n");
            }
        }
    }

    /** General rows read back from their serialized form write the same JSON, whatever their form. */
    @Test
    void generalRowsTravelIntact() throws Exception {
        In2General rows = In2General.read(List.of(generalRows(dir.resolve("general.jsonl"))));
        In2General shipped = ship(rows);
        assertThat(shipped.size()).isEqualTo(rows.size()).isEqualTo(3);
        for (int i = 0; i < rows.size(); i++) {
            assertThat(shipped.rows().get(i)).isEqualTo(rows.rows().get(i));
        }
        assertThat(ship(In2General.NONE)).isSameAs(In2General.NONE);
    }

    /** Twelve words from the middle of the bundled corpus's document {@code n}: a 10-gram shared with it. */
    static String quoteOfBundledDocument(int n) {
        List<String> texts = new ArrayList<>();
        Corpus.bundled().forEach(d -> texts.add(d.text()));
        String[] words = texts.get(n).split("\\s+");
        return String.join(" ", java.util.Arrays.asList(words).subList(words.length / 2, words.length / 2 + 12));
    }

    /** General rows in every form --general takes: a canonical record, messages with and without train flags. */
    static Path generalRows(Path file) throws IOException {
        Files.writeString(file, String.join("\n",
                "{\"id\":\"g1\",\"messages\":[{\"role\":\"user\",\"content\":\"Name a prime.\",\"train\":false},"
                        + "{\"role\":\"assistant\",\"content\":\"7\",\"train\":true}],\"meta\":{\"design\":\"chat\",\"k\":1}}",
                "{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"Caf\u00e9?\"},"
                        + "{\"role\":\"assistant\",\"content\":\"Oui \\\"\u00e9\\\"\",\"train\":false},"
                        + "{\"role\":\"user\",\"content\":\"Again\"},{\"role\":\"assistant\",\"content\":\"Yes\"}]}",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\",\"train\":true},{\"role\":\"assistant\",\"content\":\"Hello\"}]}",
                ""));
        return file;
    }

    /** With --chat-template, the kept context ids (tokens/contexts.bin) too. */
    @Test
    void anEngineKeepsTheSameContextIds() throws Exception {
        String qwen = In2Fixtures.tokenizerDir("qwen3").toString();
        In2Config config = In2Config.DEFAULT.withExamples(30).withContext(1024, 4096).withSegmentation(128, 512);
        In2Job.run(spec(config, qwen, dir.resolve("local")).withChatTemplate(In2Job.TOKENIZER_TEMPLATE), In2Job.Listener.NONE);
        ScrambledEngine engine = new ScrambledEngine(qwen, dir.resolve("copy"));
        engine.chatTemplate = In2Job.TOKENIZER_TEMPLATE;
        In2Engines.run(spec(config, qwen, dir.resolve("engine")).withChatTemplate(In2Job.TOKENIZER_TEMPLATE), In2Job.Listener.NONE, engine);
        assertSameFiles(dir.resolve("local"), dir.resolve("engine"), "data");
        assertThat(Files.size(dir.resolve("local/tokens/contexts.bin"))).isGreaterThan(1000);
        assertThat(Files.readAllBytes(dir.resolve("engine/tokens/contexts.bin")))
                .isEqualTo(Files.readAllBytes(dir.resolve("local/tokens/contexts.bin")));
    }

    /**
     * Keeps its draws and writes the pieces itself, last shard first (as tasks finish in any order): only the keys
     * go through {@link In2Assembly#decide}, the pieces are published in order.
     */
    static final class PieceEngine implements In2Engine {
        final ScrambledEngine drawer;
        final List<Long> written = new ArrayList<>();

        PieceEngine(ScrambledEngine drawer) {
            this.drawer = drawer;
        }

        @Override
        public String name() {
            return "pieces";
        }

        @Override
        public In2Engine.Segmented segment(Corpus corpus, In2Config config, Decontaminator exclude, In2Segments.Writer writer) {
            return drawer.segment(corpus, config, exclude, writer);
        }

        @Override
        public Iterator<In2Draw> draws(In2Design design, long from) {
            return drawer.draws(design, from);
        }

        @Override
        public void assemble(In2Design design, In2Assembly assembly) {
            List<In2Draw> draws = new ArrayList<>();
            draws(design, assembly.from()).forEachRemaining(draws::add);
            java.util.Map<Long, In2Draw> again = new java.util.HashMap<>();
            for (In2Draw d : draws) {
                In2Draw r = assembly.decide(d.key());
                if (r != null) {
                    again.put(d.index(), r);
                }
            }
            List<In2Assembly.Piece> pieces = new ArrayList<>();
            for (long[] p : assembly.pieces().reversed()) {
                List<In2Draw> mine = draws.subList((int) (p[0] - assembly.from()), (int) (p[1] - assembly.from()));
                pieces.add(In2Assembly.write(assembly.staging(), design.config(), p[0], p[1], mine.iterator(), again, assembly.keepsIds()));
                written.add(p[0]);
            }
            pieces.reversed().forEach(assembly::publish);
        }
    }

    /** Pieces written out of order and published in order: the same data files, context ids and report as a local run. */
    @Test
    void piecesWrittenElsewhereGiveTheLocalRunsFilesAndReport() throws Exception {
        String qwen = In2Fixtures.tokenizerDir("qwen3").toString();
        In2Config config = In2Config.DEFAULT.withExamples(60).withContext(1024, 4096).withSegmentation(128, 512);
        In2Job.run(spec(config, qwen, dir.resolve("local")).withChatTemplate(In2Job.TOKENIZER_TEMPLATE), In2Job.Listener.NONE);
        ScrambledEngine drawer = new ScrambledEngine(qwen, dir.resolve("copy"));
        drawer.chatTemplate = In2Job.TOKENIZER_TEMPLATE;
        PieceEngine engine = new PieceEngine(drawer);
        In2Job.Result r = In2Engines.run(spec(config, qwen, dir.resolve("engine")).withChatTemplate(In2Job.TOKENIZER_TEMPLATE),
                In2Job.Listener.NONE, engine);
        assertThat(r.written()).isEqualTo(60);
        assertThat(engine.written).containsExactly(50L, 25L, 0L);
        assertSameFiles(dir.resolve("local"), dir.resolve("engine"), "data");
        assertSameFiles(dir.resolve("local"), dir.resolve("engine"), "tokens");
        assertSameFiles(dir.resolve("local"), dir.resolve("engine"), "report");
        // The card's features come from the pieces' row types, not from reading the files: the same card.
        assertThat(Files.readString(dir.resolve("engine/README.md"))).isEqualTo(Files.readString(dir.resolve("local/README.md")))
                .contains("dataset_info");
    }

    static void assertSameFiles(Path a, Path b, String sub) throws IOException {
        List<String> names;
        try (Stream<Path> s = Files.list(a.resolve(sub))) {
            names = s.map(p -> p.getFileName().toString()).sorted().toList();
        }
        try (Stream<Path> s = Files.list(b.resolve(sub))) {
            assertThat(s.map(p -> p.getFileName().toString()).sorted().toList()).isEqualTo(names);
        }
        assertThat(names).isNotEmpty();
        for (String n : names) {
            assertThat(Files.readAllBytes(b.resolve(sub).resolve(n))).as(n).isEqualTo(Files.readAllBytes(a.resolve(sub).resolve(n)));
        }
    }
}
