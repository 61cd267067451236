package dev.granular.spark;

import dev.granular.export.TokenExportJob;
import dev.granular.export.Truncation;
import dev.granular.in2.In2Config;
import dev.granular.in2.In2Job;
import dev.granular.template.Reference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static dev.granular.spark.SparkIn2Test.assertSameData;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The programs of examples/spark (single-file programs for the JDK's source launcher, which nothing else builds) compile
 * against the current API, and run in local mode with tiny arguments, their claims checked: In2Frames gives the data of
 * {@code granular in2}, Frames writes the packed export, and each benchmark's variants agree with each other. The programs
 * run in this JVM (surefire passes Spark's --add-opens), one after another; each starts and stops its own SparkSession.
 * Both benchmarks run in full with one round on small inputs rather than compile only, because their digests are what
 * they claim (the same rows whichever way the input comes): FrameBench 26 s, In2FrameBench 15 s, the class 87 s in the
 * granular-spark suite on the 2-core machine while it was shared (load 10); make FrameBench compile-only if that grows.
 */
class SparkExamplesTest {
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    private static final Path EXAMPLES = ROOT.resolve("examples/spark");
    /** Every program there: a new one must be added here, with a run below (or a comment why not). */
    private static final List<String> PROGRAMS = List.of("FrameBench.java", "Frames.java", "In2FrameBench.java", "In2Frames.java");

    @TempDir
    static Path tmp;

    static URLClassLoader loader;
    static List<String> errors = new ArrayList<>();
    /** A small IN2 record folder (12 records) for the programs that read one. */
    static Path in2;

    @BeforeAll
    static void compile() throws IOException {
        // The programs' sessions read spark.* system properties (SparkConf's defaults). Spark's 200 shuffle partitions
        // make Frames' dedup of 12 rows take about 90 s on 2 cores; 4 take seconds, with the same results.
        System.setProperty("spark.sql.shuffle.partitions", "4");
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        Path classes = Files.createDirectories(tmp.resolve("classes"));
        List<File> sources;
        try (Stream<Path> s = Files.list(EXAMPLES)) {
            sources = s.filter(p -> p.toString().endsWith(".java")).sorted().map(Path::toFile).toList();
        }
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT, StandardCharsets.UTF_8)) {
            // Each on its own, as the source launcher compiles it (one program cannot lean on another's classes).
            for (File source : sources) {
                javac.getTask(null, files, diagnostics, List.of("-d", classes.toString(), "-cp", classPath(), "-proc:none",
                        "-implicit:none"), null, files.getJavaFileObjects(source)).call();
            }
        }
        for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
            if (d.getKind() == Diagnostic.Kind.ERROR) {
                String where = d.getSource() == null ? "javac" : ROOT.relativize(Path.of(d.getSource().toUri())) + ":" + d.getLineNumber();
                errors.add(where + ": " + d.getMessage(Locale.ROOT));
            }
        }
        loader = new URLClassLoader(new URL[]{classes.toUri().toURL()}, SparkExamplesTest.class.getClassLoader());
        in2 = In2Job.run(In2Job.Spec.of(List.of(), In2Config.DEFAULT.withExamples(12).withContext(1024, 2048), tmp.resolve("in2"))
                .withThreads(2), In2Job.Listener.NONE).out();
    }

    @AfterAll
    static void close() throws IOException {
        System.clearProperty("spark.sql.shuffle.partitions");
        loader.close();
    }

    /** The test's class path (surefire's, whether or not it runs from a manifest-only jar). */
    private static String classPath() {
        return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    }

    /** Runs {@code main(args)} of a compiled program in this JVM; what it prints on System.out (also passed through). */
    private static String run(String program, String... args) throws Exception {
        assertThat(errors).as("the examples compile").isEmpty();
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        PrintStream out = System.out;
        Thread thread = Thread.currentThread();
        ClassLoader context = thread.getContextClassLoader();
        System.setOut(new PrintStream(new Tee(out, printed), true, StandardCharsets.UTF_8));
        thread.setContextClassLoader(loader);
        try {
            loader.loadClass(program).getMethod("main", String[].class).invoke(null, (Object) args);
        } catch (InvocationTargetException e) {
            throw new AssertionError(program + " " + String.join(" ", args) + " failed", e.getCause());
        } finally {
            System.setOut(out);
            thread.setContextClassLoader(context);
        }
        return printed.toString(StandardCharsets.UTF_8);
    }

    private static final class Tee extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        Tee(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int c) throws IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }
    }

    @Test
    void everyExampleCompiles() throws IOException {
        try (Stream<Path> s = Files.list(EXAMPLES)) {
            assertThat(s.map(p -> p.getFileName().toString()).sorted().toList()).as("examples/spark, each run by this test")
                    .containsExactlyElementsOf(PROGRAMS);
        }
        assertThat(errors).as("compiler errors").isEmpty();
    }

    /** docs/spark.md: In2Frames with 500 examples gives the data files of `granular in2 --examples 500`; here with 20. */
    @Test
    void in2FramesGivesTheDataOfGranularIn2() throws Exception {
        Path out = tmp.resolve("in2-frame");
        String printed = run("In2Frames", out.toString(), "20");
        assertThat(printed).contains("spark in2: 20 examples");
        Path local = tmp.resolve("in2-local");
        In2Job.run(In2Job.Spec.of(List.of(), In2Config.DEFAULT.withExamples(20), local), In2Job.Listener.NONE);
        assertSameData(local, out);
        assertThat(Files.readString(out.resolve("manifest.json"))).contains("\"corpus\" : \"dataframe\"");
    }

    /** Frames dedups the frame (nothing to remove in an IN2 folder) and writes the packed export of the file command. */
    @Test
    void framesWritesThePackedExportOfTheRecords() throws Exception {
        Path out = tmp.resolve("frames-packed");
        String printed = run("Frames", in2.toString(), Reference.tokenizerDir("qwen3").toString(), out.toString());
        assertThat(printed).contains("dedup: ").contains("tokens: ");
        Path file = tmp.resolve("file-packed");
        TokenExportJob.Result r = TokenExportJob.run(TokenExportJob.Spec.of(in2, file, Reference.tokenizerDir("qwen3"))
                .withMaxLength(8192).withTruncation(Truncation.LEFT_CONTEXT).withPack(8192));
        assertThat(r.records()).isEqualTo(12);
        assertThat(Files.readString(out.resolve("report/summary.json"))).isEqualTo(Files.readString(file.resolve("report/summary.json")));
        assertThat(out.resolve("data/part-00000.parquet")).isRegularFile();
    }

    /** FrameBench, one round: the three ways (files, json DataFrame, text DataFrame) give the same rows. */
    @Test
    void frameBenchsVariantsGiveTheSameRows() throws Exception {
        String printed = run("FrameBench", in2.toString(), Reference.tokenizerDir("qwen3").toString(), tmp.resolve("frame-bench").toString(), "1");
        List<String> data = digests(printed, "data=(\\w+ rows=\\d+)");
        assertThat(data).hasSize(3).containsOnly(data.getFirst());
    }

    /** In2FrameBench, one round of 20 examples: the corpus as files and as a DataFrame give the same data files. */
    @Test
    void in2FrameBenchsVariantsGiveTheSameData() throws Exception {
        String printed = run("In2FrameBench", tmp.resolve("in2-frame-bench").toString(), "20", "1");
        List<String> data = digests(printed, "examples=20 data=(\\w+)");
        assertThat(data).hasSize(2).containsOnly(data.getFirst());
    }

    private static List<String> digests(String printed, String regex) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile(regex).matcher(printed);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }
}
