package dev.granular.library;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granular.in2.In2;
import java.io.IOException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Pins granular-core's public surface: every type that code outside the module can name (public types of the exported
 * packages, and their public or protected nested types) with its public and protected members, in
 * {@code granular-core/api-surface.txt}. A change to the surface fails here until the file is regenerated, so that
 * growing (or breaking) the API is a decision a diff shows, not an accident of a {@code public} keyword.
 *
 * <p>Regenerate after a deliberate change:
 * {@code ./mvnw -B -o -pl granular-core -am package -Dtest=ApiSurfaceTest -Dsurefire.failIfNoSpecifiedTests=false -Dgranular.api.update=true}
 * (the test rewrites the file and passes; commit it with the change).
 */
class ApiSurfaceTest {
    static final String UPDATE = "granular.api.update";
    private static final Path FILE = Path.of(System.getProperty("user.dir")).resolve("api-surface.txt");
    private static final Pattern GRANULAR_TYPE = Pattern.compile("dev\\.granular\\.((?:[a-z0-9]+\\.)*)([A-Z]\\w*)");

    /**
     * The members that may name a type of a package the module does not export, which code on the module path cannot
     * use ({@code Type#member}, {@code *} for all of a type's). None: since the teacher designs' packages are exported
     * (In2Job's teacher settings name dev.granular.teacher's ModelSpec, GenerationParams and ClientLimits), every API
     * member names API types only. (The IN2 engine interface that granular-spark implements is in
     * dev.granular.in2.internal: {@code In2Engine}, run through {@code In2Engines}.)
     */
    static final Set<String> ALLOWED_INTERNAL = Set.of();

    @Test
    void theSurfaceIsTheCheckedInOne() throws Exception {
        List<String> surface = surface();
        String text = "# granular-core's public API: the types code outside the module can name (public types of the packages\n"
                + "# module-info.java exports, and their public or protected nested types) with their public and protected\n"
                + "# members. Checked by ApiSurfaceTest; after a deliberate change, regenerate it with\n"
                + "#   ./mvnw -B -o -pl granular-core -am package -Dtest=ApiSurfaceTest"
                + " -Dsurefire.failIfNoSpecifiedTests=false -D" + UPDATE + "=true\n"
                + "# A member marked [internal: ...] names a type of a package that is not exported (see ApiSurfaceTest).\n"
                + String.join("\n", surface) + "\n";
        if (Boolean.getBoolean(UPDATE)) {
            Files.writeString(FILE, text, StandardCharsets.UTF_8);
            return;
        }
        assertThat(Files.exists(FILE)).as(FILE + " exists (regenerate it: -D" + UPDATE + "=true, see ApiSurfaceTest)").isTrue();
        assertThat(Files.readString(FILE, StandardCharsets.UTF_8))
                .as("granular-core's public API changed. If that is meant, regenerate api-surface.txt:\n"
                        + "  ./mvnw -B -o -pl granular-core -am package -Dtest=ApiSurfaceTest"
                        + " -Dsurefire.failIfNoSpecifiedTests=false -D" + UPDATE + "=true\n"
                        + "and commit it; otherwise make the new public type or member package-private, or move it to a"
                        + " package module-info.java does not export")
                .isEqualTo(text);
    }

    @Test
    void noApiMemberNamesAnInternalType() throws Exception {
        List<String> leaks = new ArrayList<>();
        String type = null;
        for (String line : surface()) {
            if (!line.startsWith(" ")) {
                Matcher t = Pattern.compile("(?:class|interface|enum|record) ([\\w.$]+)").matcher(line);
                type = t.find() ? t.group(1) : line;
            }
            if (!line.contains("[internal: ")) {
                continue;
            }
            Matcher name = Pattern.compile("([\\w$.]+)(?:\\(|\\s*$|\\s+\\[)").matcher(line.substring(0, line.indexOf("   [internal: ")));
            String member = name.find() ? name.group(1).substring(name.group(1).lastIndexOf('.') + 1) : line;
            if (!ALLOWED_INTERNAL.contains(type + "#" + member) && !ALLOWED_INTERNAL.contains(type + "#*")) {
                leaks.add(type + "#" + member + ": " + line.strip());
            }
        }
        assertThat(leaks).as("API members naming types of packages that are not exported").isEmpty();
    }

    @Test
    void theSurfaceHoldsTheDocumentedEntryPoints() throws Exception {
        List<String> types = surface().stream().filter(l -> !l.startsWith(" ")).toList();
        assertThat(types).anyMatch(l -> l.endsWith("class dev.granular.in2.In2"))
                .anyMatch(l -> l.contains("class dev.granular.dedup.DedupJob"))
                .anyMatch(l -> l.contains("class dev.granular.erasure.DistillJob"))
                .anyMatch(l -> l.contains("class dev.granular.selfcorrect.SelfCorrectJob"))
                .anyMatch(l -> l.contains("record dev.granular.teacher.ClientLimits"))
                .noneMatch(l -> l.contains("LlmClient") || l.contains("CircuitBreaker") || l.contains("SpendEstimator")
                        || l.contains("Journal") || l.contains("DistillRun") || l.contains("Decontaminator") || l.contains("Packing") || l.contains("ContentDigest")
                        || l.contains("BundledCorpus") || l.contains("In2Draw") || l.contains("In2Assembly")
                        || l.contains("Engine"));
    }

    /** docs/library.md ("On the module path") names every top-level API type and gives the count with nested ones. */
    @Test
    void theDocsListTheApiTypes() throws Exception {
        List<String> types = surface().stream().filter(l -> !l.startsWith(" ")).map(l -> {
            Matcher t = Pattern.compile("(?:class|interface|enum|record) ([\\w.$]+)").matcher(l);
            return t.find() ? t.group(1) : l;
        }).toList();
        String doc = Files.readString(Path.of(System.getProperty("user.dir")).getParent().resolve("docs/library.md"));
        String paragraph = doc.substring(doc.indexOf("The public types of those packages"));
        paragraph = paragraph.substring(0, paragraph.indexOf("\n\n"));
        assertThat(paragraph).contains("The public types of those packages, " + types.size() + " with their nested types");
        Set<String> listed = Pattern.compile("`([A-Z]\\w*)`").matcher(paragraph).results().map(r -> r.group(1))
                .collect(Collectors.toCollection(TreeSet::new));
        Set<String> topLevel = types.stream().filter(t -> !t.contains("$")).map(t -> t.substring(t.lastIndexOf('.') + 1))
                .collect(Collectors.toCollection(TreeSet::new));
        assertThat(listed).as("the top-level types docs/library.md lists").isEqualTo(topLevel);
    }

    /** One line per API type (unindented), then one per public or protected member (indented), sorted. */
    static List<String> surface() throws IOException, URISyntaxException, ClassNotFoundException {
        Path location = Path.of(In2.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        ModuleReference ref = ModuleFinder.of(location).find("granular.core").orElseThrow();
        Set<String> exported = ref.descriptor().exports().stream().map(ModuleDescriptor.Exports::source)
                .collect(Collectors.toSet());
        List<String> names;
        try (var reader = ref.open(); Stream<String> entries = reader.list()) {
            names = entries.filter(e -> e.endsWith(".class") && !e.equals("module-info.class"))
                    .map(e -> e.substring(0, e.length() - ".class".length()).replace('/', '.'))
                    .filter(n -> exported.contains(n.substring(0, n.lastIndexOf('.'))))
                    .sorted().toList();
        }
        List<String> out = new ArrayList<>();
        for (String n : names) {
            Class<?> c = Class.forName(n, false, ApiSurfaceTest.class.getClassLoader());
            if (!visible(c)) {
                continue;
            }
            out.add(marked(typeLine(c), exported));
            List<String> members = new ArrayList<>();
            for (Field f : c.getDeclaredFields()) {
                if (api(f)) {
                    members.add(strip(f.toGenericString(), c));
                }
            }
            for (Constructor<?> k : c.getDeclaredConstructors()) {
                if (api(k) && !k.isSynthetic()) {
                    members.add(strip(k.toGenericString(), c));
                }
            }
            for (Method m : c.getDeclaredMethods()) {
                if (api(m) && !m.isSynthetic() && !m.isBridge()) {
                    members.add(strip(m.toGenericString(), c));
                }
            }
            members.stream().sorted().map(m -> "    " + marked(m, exported)).forEach(out::add);
        }
        return out;
    }

    /** What code outside the module can name: public (or protected) itself and inside public types only. */
    private static boolean visible(Class<?> c) {
        for (Class<?> k = c; k != null; k = k.getDeclaringClass()) {
            if (k.isAnonymousClass() || k.isLocalClass() || k.isSynthetic()) {
                return false;
            }
            int m = k.getModifiers();
            if (!(Modifier.isPublic(m) || k.getDeclaringClass() != null && Modifier.isProtected(m))) {
                return false;
            }
        }
        return true;
    }

    private static boolean api(Member m) {
        int mod = m.getModifiers();
        return (Modifier.isPublic(mod) || Modifier.isProtected(mod)) && !m.isSynthetic();
    }

    private static String typeLine(Class<?> c) {
        StringBuilder s = new StringBuilder(c.toGenericString());
        Type sup = c.getGenericSuperclass();
        if (sup != null && sup != Object.class && !c.isEnum() && !c.isRecord()) {
            s.append(" extends ").append(sup.getTypeName());
        }
        Type[] interfaces = c.getGenericInterfaces();
        if (interfaces.length > 0) {
            s.append(c.isInterface() ? " extends " : " implements ")
                    .append(Arrays.stream(interfaces).map(Type::getTypeName).collect(Collectors.joining(", ")));
        }
        if (c.isSealed()) {
            s.append(" permits ").append(Arrays.stream(c.getPermittedSubclasses()).map(Class::getTypeName)
                    .collect(Collectors.joining(", ")));
        }
        return s.toString();
    }

    /** A member's signature without its declaring type's name before the member's. */
    private static String strip(String signature, Class<?> owner) {
        return signature.replace(" " + owner.getTypeName() + ".", " ").replace(" " + owner.getName() + ".", " ");
    }

    /** {@code line}, with the types it names from granular.core's packages that are not exported. */
    private static String marked(String line, Set<String> exported) {
        Set<String> internal = new LinkedHashSet<>();
        Matcher m = GRANULAR_TYPE.matcher(line);
        while (m.find()) {
            String pkg = "dev.granular." + m.group(1).replaceAll("\\.$", "");
            if (!exported.contains(pkg)) {
                internal.add(pkg + "." + m.group(2));
            }
        }
        return internal.isEmpty() ? line : line + "   [internal: " + String.join(", ", internal) + "]";
    }
}
