package dev.granular.record;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@link RecordValidator} found.
 *
 * @param records    valid records read
 * @param files      record files looked at
 * @param errorCount all problems found, which may exceed {@code errors.size()}
 * @param errors     the first problems, each {@code file:line: message} (unmodifiable)
 * @param byDesign   valid records per {@code meta.design}, sorted by design (unmodifiable)
 */
public record ValidationReport(long records, int files, long errorCount, List<String> errors,
                               Map<String, Long> byDesign) {

    public ValidationReport {
        if (records < 0 || files < 0 || errorCount < errors.size()) {
            throw new IllegalArgumentException("inconsistent counts: records=" + records + " files=" + files
                    + " errorCount=" + errorCount + " errors=" + errors.size());
        }
        errors = List.copyOf(errors);
        byDesign = Collections.unmodifiableMap(new TreeMap<>(byDesign));
    }

    /** True when no problem was found. */
    public boolean ok() {
        return errorCount == 0;
    }
}
