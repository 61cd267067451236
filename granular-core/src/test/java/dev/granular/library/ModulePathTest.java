package dev.granular.library;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granular.export.TokenRow;
import dev.granular.template.Reference;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.module.FindException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * granular-core as a user on the module path sees it. A small consumer module ({@code granular.example},
 * sources in src/test/resources/dev/granular/library/modulepath) is compiled with javac (java.util.spi.ToolProvider) and run in a
 * fresh JVM with the module path Maven would give it: the modules its {@code requires} reach (granular.core,
 * Jackson, the tokenizers, granular.parquet, granular.tiktoken, ...) on the module path, everything else on the
 * class path; the parquet jars must be there, since they split packages (see granular-parquet/pom.xml), and jtokkit
 * is, since it has no module name (see granular-tiktoken/pom.xml). It runs the
 * docs/library.md examples (the token export with a Hugging Face tokenizer), reads a Parquet corpus through granular.parquet, and must not compile against
 * an internal package.
 */
class ModulePathTest {
    /** The API packages: what docs/library.md lists under "On the module path". */
    static final Set<String> EXPORTED = Set.of("dev.granular.corpus", "dev.granular.dedup", "dev.granular.erasure",
            "dev.granular.export", "dev.granular.in2", "dev.granular.io", "dev.granular.mix", "dev.granular.probe", "dev.granular.record", "dev.granular.selfcorrect",
            "dev.granular.teacher", "dev.granular.template", "dev.granular.tokenize");
    private static final String SOURCES = "modulepath/";

    @TempDir
    static Path tmp;

    private static List<Path> modulePath;
    private static List<Path> classPath;
    private static ModuleDescriptor core;
    private static Path coreLocation;

    @BeforeAll
    static void splitTheTestClassPath() {
        String property = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Map<String, Path> modules = new HashMap<>();
        Map<String, ModuleDescriptor> descriptors = new HashMap<>();
        List<Path> jars = new ArrayList<>();
        for (String entry : property.split(File.pathSeparator)) {
            Path path = Path.of(entry);
            if (Files.isDirectory(path) && !Files.exists(path.resolve("module-info.class"))) {
                continue;   // target/test-classes: the tests, not a user's dependency
            }
            if (!Files.exists(path)) {
                continue;
            }
            jars.add(path);
            try {
                for (ModuleReference ref : ModuleFinder.of(path).findAll()) {
                    modules.put(ref.descriptor().name(), path);
                    descriptors.put(ref.descriptor().name(), ref.descriptor());
                }
            } catch (FindException e) {
                // not usable as a module: it can only go on the class path
            }
        }
        assertThat(descriptors).as("granular-core's classes (target/classes with module-info.class)")
                .containsKey("granular.core");
        core = descriptors.get("granular.core");
        coreLocation = modules.get("granular.core");
        // Maven's rule (plexus-java): the modules reachable through `requires` from the user's module go on
        // the module path; an automatic module requires nothing, so what it uses stays on the class path.
        Set<String> reached = new LinkedHashSet<>();
        Deque<String> todo = new ArrayDeque<>(List.of("granular.core"));
        while (!todo.isEmpty()) {
            String name = todo.pop();
            if (modules.containsKey(name) && reached.add(name)) {
                descriptors.get(name).requires().forEach(r -> todo.push(r.name()));
            }
        }
        modulePath = reached.stream().map(modules::get).distinct().toList();
        classPath = jars.stream().filter(j -> !modulePath.contains(j)).toList();
        assertThat(reached).contains("granular.parquet", "granular.tiktoken", "com.fasterxml.jackson.databind");
    }

    /**
     * Maven's compiler plugin warns "Required filename-based automodules detected: [...]. Please don't publish this
     * project to a public artifact repository!" when a module on the module path it builds takes its name from its
     * jar's file name (javac itself says nothing). granular.core once required jtokkit so, which every consumer module
     * inherited; granular.tiktoken wraps it now and jtokkit, which nothing named requires, stays on the class path.
     */
    @Test
    void noModuleAConsumerNeedsIsNamedAfterItsJarFile() throws IOException {
        List<String> filenameBased = new ArrayList<>();
        for (Path entry : modulePath) {
            ModuleDescriptor module = ModuleFinder.of(entry).findAll().iterator().next().descriptor();
            if (module.isAutomatic() && automaticModuleName(entry) == null) {
                filenameBased.add(entry.getFileName() + " (" + module.name() + ")");
            }
        }
        assertThat(filenameBased).as("modules on the module path named after their jar file").isEmpty();
        assertThat(classPath).as("jtokkit, which granular.tiktoken reads from the class path")
                .anyMatch(p -> p.getFileName().toString().startsWith("jtokkit-"));
        assertThat(modulePath).noneMatch(p -> p.getFileName().toString().startsWith("jtokkit-"));
    }

    /** The jar's Automatic-Module-Name, or null when it has none (or is a folder). */
    private static String automaticModuleName(Path entry) throws IOException {
        if (Files.isDirectory(entry)) {
            return null;
        }
        try (JarFile jar = new JarFile(entry.toFile())) {
            return jar.getManifest() == null ? null : jar.getManifest().getMainAttributes().getValue("Automatic-Module-Name");
        }
    }

    @Test
    void exportsOnlyTheApiPackages() {
        Set<String> exported = core.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet());
        assertThat(exported).isEqualTo(EXPORTED);
        assertThat(core.exports()).allMatch(e -> !e.isQualified(), "unqualified exports only");
        assertThat(core.packages()).contains("dev.granular.teacher.internal", "dev.granular.erasure.internal", "dev.granular.probe.internal",
                "dev.granular.files", "dev.granular.corpus.internal", "dev.granular.dedup.internal",
                "dev.granular.export.internal", "dev.granular.record.internal", "dev.granular.in2.internal");
    }

    /**
     * A benchmark or a CLI file job is not API; the jobs left in exported packages are the disk-to-disk API that
     * docs/library.md shows ("Output folders"). Exporting is per package, so a public type there is public to everyone.
     */
    @Test
    void theExportedPackagesHoldNoBenchmarkAndOnlyTheDocumentedJobs() throws IOException, ClassNotFoundException {
        List<String> types = publicTypesOfExportedPackages();
        assertThat(types).as("public top-level types in exported packages").hasSizeGreaterThan(40)
                .contains("dev.granular.in2.In2", "dev.granular.export.TokenExport")
                .noneMatch(t -> t.contains("Bench"));
        assertThat(types.stream().filter(t -> t.endsWith("Job")))
                .containsExactlyInAnyOrder("dev.granular.in2.In2Job", "dev.granular.export.TokenExportJob", "dev.granular.dedup.DedupJob",
                        "dev.granular.erasure.DistillJob", "dev.granular.erasure.EraseJob", "dev.granular.selfcorrect.SelfCorrectJob",
                        "dev.granular.teacher.GenerateJob", "dev.granular.export.ExportJob", "dev.granular.probe.ProbeJob",
                        "dev.granular.probe.EvalJob", "dev.granular.mix.MixJob");
        String doc = Files.readString(Path.of(System.getProperty("user.dir")).getParent().resolve("docs/library.md"));
        String files = doc.substring(doc.indexOf("## Output folders"), doc.indexOf("## Tokenizers"));
        assertThat(files).contains("`In2Job`", "`TokenExportJob`", "`DedupJob`", "`ExportJob`");
        String teacher = doc.substring(doc.indexOf("## Teacher designs"));
        assertThat(teacher.substring(0, teacher.indexOf("\n## ", 1))).contains("`DistillJob`", "`SelfCorrectJob`", "`GenerateJob`");
        String evaluation = doc.substring(doc.indexOf("## Evaluation"));
        assertThat(evaluation.substring(0, evaluation.indexOf("\n## ", 1))).contains("`ProbeJob`", "`EvalJob`");
    }

    /** The public top-level types of the exported packages, from granular-core's classes. */
    private static List<String> publicTypesOfExportedPackages() throws IOException, ClassNotFoundException {
        ModuleReference ref = ModuleFinder.of(coreLocation).find("granular.core").orElseThrow();
        List<String> names;
        try (var reader = ref.open(); Stream<String> entries = reader.list()) {
            names = entries.filter(e -> e.endsWith(".class") && !e.contains("$") && !e.equals("module-info.class"))
                    .map(e -> e.substring(0, e.length() - ".class".length()).replace('/', '.'))
                    .filter(n -> EXPORTED.contains(n.substring(0, n.lastIndexOf('.'))))
                    .sorted().toList();
        }
        List<String> types = new ArrayList<>();
        for (String n : names) {
            if (java.lang.reflect.Modifier.isPublic(Class.forName(n, false, ModulePathTest.class.getClassLoader()).getModifiers())) {
                types.add(n);
            }
        }
        return types;
    }

    @Test
    void theDocsSayWhatIsExported() throws IOException {
        String doc = Files.readString(Path.of(System.getProperty("user.dir")).getParent().resolve("docs/library.md"));
        String section = doc.substring(doc.indexOf("## On the module path"));
        assertThat(section).contains("module granular.example {\n    requires granular.core;\n}");
        String exportsParagraph = section.substring(section.indexOf("It exports exactly"), section.indexOf("Each API\npackage's internals"));
        Set<String> listed = Pattern.compile("`(dev\\.granular\\.[a-z0-9.]+)`").matcher(exportsParagraph)
                .results().map(r -> r.group(1)).collect(Collectors.toSet());
        assertThat(listed).isEqualTo(EXPORTED);
    }

    @Test
    void aConsumerModuleRunsTheDocumentedApi() throws Exception {
        Path src = copySources("module-info.java", "example/Main.java");
        Path classes = tmp.resolve("run-classes");
        String errors = javac(src, classes);
        assertThat(errors).isEmpty();

        Path parquet = tmp.resolve("corpus.parquet");
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement s = c.createStatement()) {
            s.execute("COPY (SELECT * FROM (VALUES ('p1', 'First document.'), ('p2', 'Second document.')) t(id, text)) TO '"
                    + parquet + "' (FORMAT parquet)");
        }
        Path model = Reference.tokenizerDir("qwen3");
        List<String> out = run(classes, parquet, model, tmp.resolve("files-module"));

        assertThat(out.stream().filter(l -> l.startsWith("in2 ")).map(l -> l.substring(4)).toList())
                .as("the same records as on the class path").isEqualTo(LibraryExamples.in2ToStream());
        assertThat(out).contains("parquet p1 First document.", "parquet p2 Second document.",
                rowsOnTheClassPath(model),
                "files " + LibraryExamples.in2ToFiles(model, tmp.resolve("files-classpath")),
                "error minTokens (4096) is larger than maxTokens (2048)",
                "module granular.core exports dev.granular.in2=true dev.granular.teacher=true dev.granular.probe=true"
                        + " dev.granular.probe.internal=false",
                "probe config 800 positions in bins of 50");
    }

    @Test
    void anInternalPackageDoesNotCompile() throws Exception {
        Path src = copySources("module-info.java", "example/Main.java", "example/Internal.java");
        String errors = javac(src, tmp.resolve("internal-classes"));
        assertThat(errors).contains("package dev.granular.teacher.internal is not visible")
                .contains("package dev.granular.in2.internal is not visible")
                .contains("package dev.granular.corpus.internal is not visible")
                .contains("package dev.granular.probe.internal is not visible")
                .contains("declared in module granular.core, which does not export it");
    }

    /** As the consumer's digest: the rows' ids, labels and positions in one number. */
    private static String rowsOnTheClassPath(Path modelDir) {
        List<TokenRow> rows = LibraryExamples.tokenExport(modelDir);
        int h = 1;
        for (TokenRow r : rows) {
            h = 31 * h + Arrays.hashCode(r.inputIds());
            h = 31 * h + Arrays.hashCode(r.labels());
            h = 31 * h + Arrays.hashCode(r.positionIds());
        }
        return "rows " + rows.size() + " " + h;
    }

    private static Path copySources(String... names) throws IOException {
        Path dir = Files.createTempDirectory(tmp, "src");
        for (String name : names) {
            Path to = dir.resolve(name);
            Files.createDirectories(to.getParent());
            try (InputStream in = ModulePathTest.class.getResourceAsStream(SOURCES + name + ".txt")) {
                assertThat(in).as(name).isNotNull();
                Files.copy(in, to);
            }
        }
        return dir;
    }

    /** Compiles every .java file under {@code src} as module granular.example; returns the diagnostics ("" when it compiled). */
    private static String javac(Path src, Path classes) throws IOException {
        ToolProvider javac = ToolProvider.findFirst("javac").orElseThrow();
        List<String> args = new ArrayList<>(List.of("-d", classes.toString(),
                "--module-path", join(modulePath), "-classpath", join(classPath), "-Xlint:-module"));
        try (Stream<Path> files = Files.walk(src)) {
            files.filter(f -> f.toString().endsWith(".java")).map(Path::toString).forEach(args::add);
        }
        StringWriter diagnostics = new StringWriter();
        PrintWriter out = new PrintWriter(diagnostics);
        int status = javac.run(out, out, args.toArray(String[]::new));
        out.flush();
        return status == 0 ? "" : diagnostics + "\n(javac exit status " + status + ")";
    }

    private static List<String> run(Path classes, Path parquet, Path model, Path work) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<Path> modules = new ArrayList<>(List.of(classes));
        modules.addAll(modulePath);
        Path stdout = tmp.resolve("stdout.txt");
        Path stderr = tmp.resolve("stderr.txt");
        Process p = new ProcessBuilder(java, "-Xmx1g", "--enable-native-access=ALL-UNNAMED",
                "--module-path", join(modules), "-classpath", join(classPath),
                "-m", "granular.example/example.Main", parquet.toString(), model.toString(), work.toString())
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("the consumer did not finish in 10 minutes");
        }
        assertThat(p.exitValue()).as("exit status; stderr:\n" + Files.readString(stderr)).isZero();
        return Files.readAllLines(stdout, StandardCharsets.UTF_8);
    }

    private static String join(List<Path> paths) {
        return paths.stream().map(Path::toString).collect(Collectors.joining(File.pathSeparator));
    }
}
