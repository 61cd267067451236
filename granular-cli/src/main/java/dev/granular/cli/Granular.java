package dev.granular.cli;

import dev.granular.io.BadInputException;
import dev.granular.io.StoppedEarlyException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The {@code granular} command line. {@link #main} only runs {@link #commandLine} and exits
 * with its code:
 * <ul>
 *   <li>0 complete;</li>
 *   <li>1 any other failure;</li>
 *   <li>2 usage error or bad input (the message names the file and line);</li>
 *   <li>3 stopped early but resumable: rerun the same command to continue;</li>
 *   <li>130 interrupted (Ctrl-C): the JVM's own exit code for SIGINT, after a line saying whether
 *   rerunning the same command resumes.</li>
 * </ul>
 */
@Command(name = "granular",
        header = "Data design for LLM fine-tuning: IN2 long-context data, Prompt Erasure, self-correction.",
        description = {"", "Run 'granular COMMAND --help' for a command's options.", "",
                "Example:", "  granular in2 --out out/demo"},
        mixinStandardHelpOptions = true,
        versionProvider = Granular.VersionProvider.class,
        subcommands = {In2Command.class, GenerateCommand.class, DistillCommand.class, EraseCommand.class, SelfCorrectCommand.class, ProbeCommand.class, EvalCommand.class, EvalCompareCommand.class, ExportCommand.class, DedupCommand.class, RunCommand.class, InspectCommand.class, ValidateCommand.class, BenchCommand.class, CostCommand.class, CommandLine.HelpCommand.class})
public final class Granular implements Runnable {
    public static final int OK = 0;
    public static final int FAILED = 1;
    public static final int BAD_INPUT = 2;
    public static final int STOPPED_EARLY = 3;

    @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "Print stack traces of failures.")
    boolean verbose;

    @picocli.CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Commands whose rerun into the same --out continues an interrupted run (each has a resume test). */
    private static final Set<Class<?>> RESUMABLE = Set.of(In2Command.class, GenerateCommand.class, DistillCommand.class,
            SelfCorrectCommand.class, EvalCommand.class, RunCommand.class);

    /** The command being executed, for the interruption message. */
    private static final AtomicReference<Object> RUNNING = new AtomicReference<>();

    public static void main(String[] args) {
        AtomicBoolean returned = new AtomicBoolean();
        // Ctrl-C (SIGINT) or a plain kill (SIGTERM) runs the shutdown hooks before the JVM exits
        // with 130 / 143: say so, and whether a rerun resumes, instead of dying silently.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (!returned.get() && RUNNING.get() != null) {
                System.err.println(interruptedMessage(RUNNING.get()));
                System.err.flush();
            }
        }, "granular-interrupted"));
        int code = commandLine(new PrintWriter(System.out, true), new PrintWriter(System.err, true)).execute(args);
        returned.set(true);
        System.exit(code);
    }

    /** What an interrupted run of {@code command} prints. */
    static String interruptedMessage(Object command) {
        return RESUMABLE.contains(command.getClass())
                ? "granular: interrupted; rerun the same command to resume"
                : "granular: interrupted";
    }

    /** The command tree with its output streams and exit-code mapping; tests call this directly. */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        Granular root = new Granular();
        CommandLine cl = new CommandLine(root);
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExecutionStrategy(parsed -> {
            List<CommandLine> chain = parsed.asCommandLineList();
            RUNNING.set(chain.get(chain.size() - 1).getCommand());
            SaveRecipeOption.saveIfAsked(parsed);
            return new CommandLine.RunLast().execute(parsed);
        });
        // Help as wide as COLUMNS says, else as the terminal (80 columns when neither tells); picocli
        // wraps the paragraphs to that width.
        cl.setUsageHelpWidth(usageWidth(System.getenv("COLUMNS")));
        cl.setUsageHelpAutoWidth(System.getenv("COLUMNS") == null);
        cl.setExecutionExceptionHandler((ex, line, parsed) -> {
            boolean verbose = root.verbose;
            PrintWriter e = line.getErr();
            int code;
            if (ex instanceof dev.granular.io.InvalidConfigException ice) {
                e.println("granular: " + ice.message(ConfigFlags::flag));
                code = BAD_INPUT;
            } else if (ex instanceof BadInputException) {
                e.println("granular: " + ex.getMessage());
                code = BAD_INPUT;
            } else if (ex instanceof StoppedEarlyException) {
                e.println("granular: stopped early: " + ((StoppedEarlyException) ex).message(ConfigFlags::flag)
                        + " (rerun the same command to continue)");
                code = STOPPED_EARLY;
            } else {
                e.println("granular: failed: " + describe(ex) + (verbose ? "" : " (run with --verbose for details)"));
                code = FAILED;
            }
            if (verbose) {
                ex.printStackTrace(e);
            }
            e.flush();
            return code;
        });
        cl.setParameterExceptionHandler((ex, args) -> {
            PrintWriter e = ex.getCommandLine().getErr();
            e.println("granular: " + ex.getMessage());
            // "Did you mean: in2 --examples?" for a mistyped option or command
            CommandLine.UnmatchedArgumentException.printSuggestions(ex, e);
            e.println("Run '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help' for the options.");
            e.flush();
            return BAD_INPUT;
        });
        return cl;
    }

    /** The help width for the COLUMNS environment variable: its value when a sane number, else 80. */
    static int usageWidth(String columns) {
        try {
            int w = columns == null ? 80 : Integer.parseInt(columns.strip());
            return w >= 55 ? w : 80;
        } catch (NumberFormatException e) {
            return 80;
        }
    }

    private static String describe(Throwable ex) {
        String m = ex.getMessage();
        return m == null ? ex.getClass().getSimpleName() : m;
    }

    /** The version from the jar manifest. */
    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Granular.class.getPackage().getImplementationVersion();
            return new String[] {"granular " + (v == null ? "dev" : v)};
        }
    }
}
