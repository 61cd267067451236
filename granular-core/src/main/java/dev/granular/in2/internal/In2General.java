package dev.granular.in2.internal;

import dev.granular.record.RecordJson;
import dev.granular.record.TrainingRecord;
import java.io.ObjectInputStream;
import java.io.Serial;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The general instruction rows of {@code in2 --general}, read once and serializable: a distributed job reads
 * them on its driver (bad rows reported as {@code file:line}, as {@code granular in2} reports them) and ships
 * them with its job, and each worker builds the design over them ({@link In2Engines#openDesign(dev.granular.in2.In2, Path,
 * dev.granular.tokenize.Tokenizer, In2General)}), so that its general examples are the single machine's.
 *
 * <pre>{@code
 * In2General general = In2General.read(List.of(Path.of("general.jsonl")));   // driver
 * In2Design design = In2Engines.openDesign(In2.of(config), storeDir, tokenizer, general);  // worker, after the broadcast
 * }</pre>
 */
public final class In2General implements Serializable {
    @Serial
    private static final long serialVersionUID = 1L;

    /** No rows: the general share is dropped and spread over the other kinds. */
    public static final In2General NONE = new In2General(List.of());

    private final transient List<GeneralRows.Row> rows;

    public In2General(List<GeneralRows.Row> rows) {
        this.rows = List.copyOf(rows);
    }

    /**
     * Reads {@code files} (JSONL files, folders of them, another command's output folder) as {@code in2 --general}
     * does; none gives {@link #NONE}.
     *
     * @throws dev.granular.io.BadInputException naming {@code file:line} for a bad row
     * @throws dev.granular.io.InvalidConfigException when the files hold no rows
     */
    public static In2General read(List<Path> files) {
        return files.isEmpty() ? NONE : new In2General(GeneralRows.read(files));
    }

    /** The number of rows. */
    public int size() {
        return rows.size();
    }

    /** True when there are none. */
    public boolean isEmpty() {
        return rows.isEmpty();
    }

    public List<GeneralRows.Row> rows() {
        return rows;
    }

    /**
     * Travels as each row's messages written as a canonical record's JSON line (and its source), the form the rows
     * are written out in: read back, they write the very same bytes.
     */
    @Serial
    private Object writeReplace() {
        String[] sources = new String[rows.size()];
        String[] lines = new String[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            GeneralRows.Row row = rows.get(i);
            sources[i] = row.source();
            // A record needs a design; only the messages are read back.
            lines[i] = RecordJson.toJson(new TrainingRecord("general", row.messages(), null, Map.of("design", "in2")));
        }
        return new Shipped(sources, lines);
    }

    @Serial
    private void readObject(ObjectInputStream in) throws java.io.InvalidObjectException {
        throw new java.io.InvalidObjectException("In2General travels as its Shipped form");
    }

    /** The serialized form. */
    private record Shipped(String[] sources, String[] lines) implements Serializable {
        @Serial
        private Object readResolve() {
            List<GeneralRows.Row> rows = new ArrayList<>(lines.length);
            for (int i = 0; i < lines.length; i++) {
                rows.add(new GeneralRows.Row(RecordJson.parse(lines[i], sources[i], 0).messages(), sources[i]));
            }
            return rows.isEmpty() ? NONE : new In2General(rows);
        }
    }
}
