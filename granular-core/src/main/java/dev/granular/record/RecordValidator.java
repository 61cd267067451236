package dev.granular.record;

import dev.granular.record.internal.IdRegistry;

import dev.granular.record.internal.JsonlLines;

import dev.granular.record.internal.DataFiles;

import dev.granular.io.BadInputException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Checks record files like {@link RecordReader} does, but reports every problem instead of
 * stopping at the first, so that one run of {@code granular validate} shows the whole extent
 * of a broken dataset. A file that cannot be read further (a truncated gzip stream) is
 * reported once and the remaining files are still checked.
 */
public final class RecordValidator {
    private final int maxErrors;
    private final List<String> errors = new ArrayList<>();
    private final Map<String, Long> byDesign = new TreeMap<>();
    private final IdRegistry ids = new IdRegistry();
    private long errorCount;
    private long records;

    private RecordValidator(int maxErrors) {
        this.maxErrors = maxErrors;
    }

    /**
     * Validates {@code fileOrDir} (a file or directory, as for {@link RecordReader#dataFiles}).
     * A path that does not exist or holds no record files is reported as an error, not thrown.
     *
     * @param maxErrors how many error messages to keep (all are counted); {@code >= 0}
     */
    public static ValidationReport validate(Path fileOrDir, int maxErrors) {
        if (maxErrors < 0) {
            throw new IllegalArgumentException("maxErrors must be >= 0, was " + maxErrors);
        }
        RecordValidator validator = new RecordValidator(maxErrors);
        List<Path> files;
        try {
            files = DataFiles.list(fileOrDir);
        } catch (BadInputException e) {
            validator.error(e.getMessage());
            return validator.report(0);
        }
        for (Path file : files) {
            validator.check(file);
        }
        return validator.report(files.size());
    }

    private void check(Path file) {
        try (JsonlLines lines = JsonlLines.open(file)) {
            while (true) {
                try {
                    String line = lines.next();
                    if (line == null) {
                        return;
                    }
                    TrainingRecord record = RecordJson.parse(line, lines.file(), lines.lineNo());
                    String duplicate = ids.add(record.id(), lines.file(), lines.lineNo());
                    if (duplicate != null) {
                        throw new BadInputException(lines.file(), lines.lineNo(), duplicate);
                    }
                    records++;
                    byDesign.merge(record.design(), 1L, Long::sum);
                } catch (BadInputException e) {
                    error(e.getMessage());
                } catch (IOException e) {
                    error(new BadInputException(lines.file(), lines.lineNo() + 1,
                            "cannot read further: " + e).getMessage());
                    return;
                }
            }
        } catch (IOException e) {
            error(new BadInputException(file, 0, "cannot read: " + e).getMessage());
        }
    }

    private void error(String message) {
        errorCount++;
        if (errors.size() < maxErrors) {
            errors.add(message);
        }
    }

    private ValidationReport report(int files) {
        return new ValidationReport(records, files, errorCount, errors, byDesign);
    }
}
