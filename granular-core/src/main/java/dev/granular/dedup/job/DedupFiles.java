package dev.granular.dedup.job;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.corpus.reader.CorpusReader;
import dev.granular.dedup.Dedup;
import dev.granular.dedup.DedupJob.Spec;
import dev.granular.record.internal.JsonlInput;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The output folder of {@code granular dedup} ({@link dev.granular.dedup.DedupJob}) as {@code spark dedup} must write
 * it too: the identity, the lines of {@code removed.jsonl} and the manifest. Not API: the two jobs share them so that
 * both write the same bytes.
 */
public final class DedupFiles {
    /** The command name manifests give. */
    public static final String COMMAND = "dedup";
    private static final ObjectMapper JSON = new ObjectMapper();

    private DedupFiles() {
    }

    /** The output-changing identity of a run over {@code files} ({@code engine} names who computes it). */
    public static Map<String, Object> identity(Spec spec, List<Path> files, String engine) {
        Map<String, Object> id = new LinkedHashMap<>();
        id.put("input", JsonlInput.manifestValue(spec.in()));
        id.put("input_sha256", CorpusReader.fingerprint(files));
        id.putAll(spec.config().describe());
        id.put("engine", engine);
        return id;
    }

    /** Every path a run reads, for the output-overlap check. */
    public static List<Path> inputs(Spec spec) {
        List<Path> all = new ArrayList<>(spec.in());
        all.addAll(spec.config().decontaminate());
        return all;
    }

    /** The line of {@code removed.jsonl} for a removed record (shared by the Spark job, so that both write the same bytes). */
    public static String removedLine(String id, String source, Dedup.Removed r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("source", source);
        m.put("reason", r.reason().wireName());
        if (r.of() != null) {
            m.put("of", r.of());
        }
        if (r.jaccard() != null) {
            m.put("jaccard", r.jaccard());
        }
        try {
            return JSON.writeValueAsString(m) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The counts as the manifest gives them. */
    public static Map<String, Object> countsJson(Dedup.Counts c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("read", c.read());
        m.put("kept", c.kept());
        m.put("removed_contaminated", c.contaminated());
        m.put("removed_duplicates", c.duplicates());
        m.put("removed_near_duplicates", c.nearDuplicates());
        return m;
    }

    /** The counts of a finished run's manifest. */
    public static Dedup.Counts counts(com.fasterxml.jackson.databind.JsonNode manifest) {
        var c = manifest.path("counts");
        return new Dedup.Counts(c.path("read").asLong(), c.path("kept").asLong(), c.path("removed_contaminated").asLong(),
                c.path("removed_duplicates").asLong(), c.path("removed_near_duplicates").asLong());
    }

    /** The manifest of a finished run (also the Spark job's, with its master). */
    public static Map<String, Object> manifest(Spec spec, Map<String, Object> identity, Dedup.Counts counts, Instant started,
                                               String fingerprint, String sparkMaster) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tool", "granular");
        m.put("command", sparkMaster == null ? COMMAND : "spark " + COMMAND);
        m.put("command_line", spec.commandLine());
        m.putAll(identity);
        if (sparkMaster != null) {
            m.put("spark_master", sparkMaster);
        }
        m.put("fingerprint", fingerprint);
        m.put("counts", countsJson(counts));
        m.put("started", started.toString());
        m.put("ended", Instant.now().toString());
        return m;
    }
}
