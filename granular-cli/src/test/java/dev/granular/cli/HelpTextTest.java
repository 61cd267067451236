package dev.granular.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** What {@code --help} shows: every option explained, prose wrapped by picocli, not by hand. */
class HelpTextTest {

    private static CommandLine cli() {
        return Granular.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
    }

    /** Every command, subcommands of subcommands included, but not picocli's own help command. */
    private static List<CommandLine> commands() {
        List<CommandLine> all = new ArrayList<>();
        collect(cli(), all);
        return all;
    }

    private static void collect(CommandLine c, List<CommandLine> all) {
        if (c.getCommand() instanceof CommandLine.HelpCommand) {
            return;
        }
        all.add(c);
        c.getSubcommands().values().stream().distinct().forEach(s -> collect(s, all));
    }

    private static String name(ArgSpec a) {
        return a instanceof OptionSpec o ? o.longestName() : a.paramLabel();
    }

    /** The description without its "Default: ..." note, which alone explains nothing. */
    private static String explanation(ArgSpec a) {
        return String.join(" ", a.description()).replaceAll("Default: \\S*", "").strip();
    }

    @Test
    void everyOptionAndParameterOfEveryCommandSaysWhatItIs() {
        List<String> missing = new ArrayList<>();
        for (CommandLine c : commands()) {
            CommandSpec spec = c.getCommandSpec();
            Stream.concat(spec.options().stream(), spec.positionalParameters().stream())
                    .filter(a -> !a.hidden())
                    .filter(a -> explanation(a).isEmpty())
                    .forEach(a -> missing.add(spec.qualifiedName() + " " + name(a)));
        }
        assertThat(missing).as("options and parameters without a description").isEmpty();
    }

    /**
     * A description array element is a line that picocli prints as is; prose split over several
     * elements reads as ragged lines at any width but the author's. Prose follows prose only after a
     * heading ending in ':'; example lines are indented.
     */
    @Test
    void descriptionsAreParagraphsNotHandWrappedLines() {
        List<String> wrapped = new ArrayList<>();
        for (CommandLine c : commands()) {
            CommandSpec spec = c.getCommandSpec();
            List<String[]> texts = new ArrayList<>();
            texts.add(spec.usageMessage().description());
            spec.args().forEach(a -> texts.add(a.description()));
            for (String[] lines : texts) {
                for (int i = 1; i < lines.length; i++) {
                    if (prose(lines[i - 1]) && prose(lines[i]) && !lines[i - 1].endsWith(":") && !lines[i].startsWith("Docs:")) {
                        wrapped.add(spec.qualifiedName() + ": \"" + lines[i - 1] + "\" / \"" + lines[i] + "\"");
                    }
                }
            }
        }
        assertThat(wrapped).as("descriptions broken into lines by hand").isEmpty();
    }

    private static boolean prose(String line) {
        return !line.isEmpty() && !Character.isWhitespace(line.charAt(0));
    }

    /** Example lines are printed as written; one wider than 80 columns is broken mid-command. */
    @Test
    void examplesFitEightyColumns() {
        List<String> wide = new ArrayList<>();
        for (CommandLine c : commands()) {
            for (String line : c.getCommandSpec().usageMessage().description()) {
                if (line.startsWith(" ") && line.length() > 78) {
                    wide.add(c.getCommandSpec().qualifiedName() + ": " + line);
                }
            }
        }
        assertThat(wide).as("example lines wider than 78 characters (use a \\ continuation)").isEmpty();
    }

    @Test
    void helpIsAsWideAsColumnsSays() {
        assertThat(Granular.usageWidth("120")).isEqualTo(120);
        assertThat(Granular.usageWidth(null)).isEqualTo(80);
        assertThat(Granular.usageWidth("abc")).isEqualTo(80);
        assertThat(Granular.usageWidth("20")).isEqualTo(80);
    }

    @Test
    void helpFitsEightyColumnsAndUsesWiderTerminals() {
        for (CommandLine c : commands()) {
            c.setUsageHelpWidth(80);
            String narrow = c.getUsageMessage(CommandLine.Help.Ansi.OFF);
            assertThat(narrow.lines().filter(l -> l.length() > 80))
                    .as(c.getCommandSpec().qualifiedName() + " --help at 80 columns").isEmpty();
        }
        CommandLine inspect = cli().getSubcommands().get("inspect");
        inspect.setUsageHelpWidth(160);
        assertThat(inspect.getUsageMessage(CommandLine.Help.Ansi.OFF))
                .contains("labels every token as the tokens export would");
    }

    @Test
    void aMistypedOptionOrCommandGetsSuggestionsAndExitTwo() {
        StringWriter err = new StringWriter();
        CommandLine cli = Granular.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(err, true));
        int code = cli.execute("in2", "--out", "x", "--exampels", "5");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("--exampels").contains("Possible solutions: --examples");
        StringWriter err2 = new StringWriter();
        int code2 = Granular.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(err2, true)).execute("in3");
        assertThat(code2).isEqualTo(2);
        assertThat(err2.toString()).contains("in3").contains("Did you mean: granular in2");
    }
}
