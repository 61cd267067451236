package dev.granular.cli;

/** Help texts every command that writes an output folder shares (annotation values must be constants). */
final class OutputHelp {
    static final String OVERWRITE = "Replace a different granular run in --out: deletes only the files that run wrote "
            + "(listed in .granular/run.json); never the journals of paid replies, files others put there, or an input.";

    private OutputHelp() {
    }
}
