package dev.granular.cli;

import dev.granular.record.RecordValidator;
import dev.granular.record.ValidationReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * {@code granular validate}: checks record files before they go to a trainer, listing every
 * problem with its {@code file:line} instead of stopping at the first one.
 */
@Command(name = "validate",
        header = "Check that files are valid granular records (docs/format.md).",
        description = {
                "Reads each FILE (.jsonl or .jsonl.gz) or DIR (DIR/data/*.jsonl if DIR/data exists, else every "
                        + ".jsonl and .jsonl.gz below DIR) and checks every rule of the record format: fields and their types, "
                        + "roles, train_detail offsets, unique ids, UTF-8. Errors go to stderr as file:line: message; a "
                        + "summary per argument goes to stdout. Exit code 0 when everything is valid, 2 otherwise.",
                "",
                "Example:",
                "  granular validate out/demo"},
        mixinStandardHelpOptions = true)
public final class ValidateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE|DIR", arity = "1..*", description = "Record files or directories to check.")
    List<Path> paths;

    @Option(names = "--max-errors", paramLabel = "N", defaultValue = "50",
            description = "Print at most N errors per argument; all are counted (default: ${DEFAULT-VALUE}).")
    int maxErrors;

    @Override
    public Integer call() {
        if (maxErrors < 0) {
            throw new ParameterException(spec.commandLine(), "--max-errors must be >= 0, was " + maxErrors);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        boolean allValid = true;
        for (Path path : paths) {
            ValidationReport report = RecordValidator.validate(path, maxErrors);
            report.errors().forEach(err::println);
            err.flush();
            out.println(summary(path, report));
            out.flush();
            allValid &= report.ok();
        }
        return allValid ? 0 : 2;
    }

    /** E.g. {@code out/demo: 1000 records in 1 file, all valid (in2: 1000)}. */
    static String summary(Path path, ValidationReport report) {
        String files = " in " + plural(report.files(), "file");
        String designs = report.byDesign().isEmpty() ? "" : " (" + report.byDesign().entrySet().stream()
                .map(e -> e.getKey() + ": " + e.getValue()).collect(Collectors.joining(", ")) + ")";
        if (report.ok()) {
            return path + ": " + plural(report.records(), "record") + files + ", all valid" + designs;
        }
        String shown = report.errorCount() > report.errors().size()
                ? " (first " + report.errors().size() + " shown)" : "";
        return path + ": " + plural(report.errorCount(), "error") + shown + "; "
                + plural(report.records(), "valid record") + files + designs;
    }

    private static String plural(long n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }
}
