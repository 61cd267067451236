package dev.granular.record.internal;

import dev.granular.io.BadInputException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Resolves a command-line path to record files; see {@link RecordReader#dataFiles}. */
public final class DataFiles {
    private DataFiles() {
    }

    public static List<Path> list(Path fileOrDir) {
        if (!Files.exists(fileOrDir)) {
            throw new BadInputException(fileOrDir, 0, "no such file or directory");
        }
        if (!Files.isReadable(fileOrDir)) {
            throw new BadInputException(fileOrDir, 0, "not readable (check its permissions)");
        }
        if (!Files.isDirectory(fileOrDir)) {
            if (!isRecordFile(fileOrDir)) {
                throw new BadInputException(fileOrDir, 0, "not a .jsonl or .jsonl.gz file");
            }
            return List.of(fileOrDir);
        }
        Path data = fileOrDir.resolve("data");
        boolean granularLayout = Files.isDirectory(data);
        List<Path> files;
        try (Stream<Path> found = granularLayout ? Files.list(data) : Files.walk(fileOrDir)) {
            files = found.filter(p -> isRecordFile(p) && Files.isRegularFile(p)).sorted().toList();
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new BadInputException(fileOrDir, 0, "cannot list: " + e.getMessage());
        }
        if (files.isEmpty()) {
            throw new BadInputException(fileOrDir, 0, granularLayout
                    ? "no .jsonl or .jsonl.gz files in " + data
                    : "no .jsonl or .jsonl.gz files in this directory or below");
        }
        for (Path file : files) {
            if (!Files.isReadable(file)) {
                throw new BadInputException(file, 0, "not readable (check its permissions)");
            }
        }
        return files;
    }

    private static boolean isRecordFile(Path path) {
        String name = path.getFileName().toString();
        return name.endsWith(".jsonl") || name.endsWith(".jsonl.gz");
    }
}
