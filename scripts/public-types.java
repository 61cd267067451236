// Counts the public types of the packages a module exports, from its compiled classes: top-level public types,
// and nested public or protected types whose enclosing types are all public too (what code outside the module
// can name). Lists the top-level ones with a second argument.
//
//   ./mvnw -B -q -o -DskipTests package -pl granular-core -am
//   java scripts/public-types.java granular-core/target/classes [list]
//
// Figures for granular-core (issue 15): 93 (56 top-level, 37 nested) before the internals left the exported
// packages, 73 (45 top-level, 28 nested) after (74, 29 nested, with In2Job.OwnCorpus, the DataFrame corpus of granular-spark);
// 71 (45 top-level, 26 nested) once the IN2 engine interface (In2Job.Engine, Segmented, OwnCorpus) moved to in2.internal.
// granular-core/api-surface.txt pins the same types with their members
// (ApiSurfaceTest); this script is the quick count.
//
// Needs a JDK with java.lang.classfile (24 or newer; the build's JDK 25 has it), run as a single-file program.
import java.lang.classfile.*;
import java.lang.classfile.attribute.*;
import java.lang.reflect.AccessFlag;
import java.nio.file.*;
import java.util.*;

public class PublicTypes {
    public static void main(String[] a) throws Exception {
        Path root = Path.of(a[0]);
        ModuleAttribute mod = ClassFile.of().parse(Files.readAllBytes(root.resolve("module-info.class")))
                .findAttribute(Attributes.module()).orElseThrow();
        Set<String> exported = new TreeSet<>();
        mod.exports().forEach(e -> exported.add(e.exportedPackage().name().stringValue().replace('/', '.')));
        Map<String, Boolean> visible = new TreeMap<>();
        Map<String, String> outer = new HashMap<>();
        Map<String, Boolean> own = new HashMap<>();
        try (var files = Files.walk(root)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".class") && !p.endsWith("module-info.class")).toList()) {
                ClassModel cm = ClassFile.of().parse(Files.readAllBytes(f));
                String name = cm.thisClass().asInternalName();
                String pkg = name.contains("/") ? name.substring(0, name.lastIndexOf('/')).replace('/', '.') : "";
                if (!exported.contains(pkg)) continue;
                boolean pub = cm.flags().has(AccessFlag.PUBLIC);
                var ic = cm.findAttribute(Attributes.innerClasses());
                boolean nested = false;
                if (ic.isPresent()) {
                    for (InnerClassInfo i : ic.get().classes()) {
                        if (i.innerClass().asInternalName().equals(name)) {
                            if (i.outerClass().isEmpty()) { nested = true; pub = false; break; } // local/anonymous
                            nested = true;
                            pub = i.has(AccessFlag.PUBLIC) || i.has(AccessFlag.PROTECTED);
                            outer.put(name, i.outerClass().get().asInternalName());
                        }
                    }
                }
                own.put(name, pub);
            }
        }
        int top = 0, nest = 0;
        List<String> tops = new ArrayList<>();
        for (String n : new TreeSet<>(own.keySet())) {
            boolean v = own.get(n);
            String o = outer.get(n);
            while (v && o != null) { v = own.getOrDefault(o, false); o = outer.get(o); }
            if (!v) continue;
            if (outer.containsKey(n)) nest++; else { top++; tops.add(n.replace('/', '.')); }
        }
        System.out.println("exported: " + exported);
        System.out.println("public top-level types: " + top + ", public nested types: " + nest + ", total " + (top + nest));
        if (a.length > 1) tops.forEach(System.out::println);
    }
}
