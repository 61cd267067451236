package dev.granular.cli;

/** Placeholder entry point; replaced by the picocli command tree. */
public final class Granular {
    public static void main(String[] args) {
        System.exit(0);
    }
}
