package dev.granular.dedup;

import dev.granular.dedup.internal.ContentDigest;

import dev.granular.corpus.internal.Decontaminator;
import dev.granular.record.TrainingRecord;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Decontamination, exact and near dedup of records in input order ({@link DedupConfig}): {@link #check} judges the
 * next record, {@link #keep} filters a stream lazily. The first record of a content wins: an exact duplicate names the
 * first record with its normalised content, a near duplicate the earliest earlier record near it
 * ({@link NearDuplicates} has the rule). A contaminated record takes no further part; an exact duplicate takes none in
 * near dedup (its signature is its original's, so this changes nothing).
 *
 * <pre>{@code
 * Dedup dedup = Dedup.of(DedupConfig.DEFAULT.withNearThreshold(0.8));
 * try (Stream<TrainingRecord> in = RecordReader.read(Path.of("out/demo"))) {
 *     dedup.keep(in).forEach(r -> ...);
 * }
 * }</pre>
 *
 * Holds a digest and an id per distinct record and a signature per record past exact dedup; not thread-safe.
 */
public final class Dedup {
    /** Why a record went. */
    public enum Reason {
        CONTAMINATED("contaminated"), DUPLICATE("duplicate"), NEAR_DUPLICATE("near_duplicate");

        private final String wireName;

        Reason(String wireName) {
            this.wireName = wireName;
        }

        /** As reports write it. */
        public String wireName() {
            return wireName;
        }
    }

    /** What became of a record. */
    public sealed interface Verdict permits Kept, Removed {
    }

    /** The record stays. */
    public record Kept() implements Verdict {
    }

    /**
     * The record goes.
     *
     * @param of      the id of the record it duplicates (null when contaminated)
     * @param jaccard the estimated Jaccard similarity to it (near duplicates only, else null)
     */
    public record Removed(Reason reason, String of, Double jaccard) implements Verdict {
    }

    /** Records seen, kept and removed for each reason. */
    public record Counts(long read, long kept, long contaminated, long duplicates, long nearDuplicates) {
    }

    private static final Kept KEPT = new Kept();

    private final DedupConfig config;
    private final Decontaminator decontaminator;
    private final NearDuplicates near;
    private final Map<ContentDigest, String> firstByDigest = new HashMap<>();
    /** Ids of the records added to {@link #near}, by its row number, to name a near duplicate's original. */
    private final List<String> nearIds = new ArrayList<>();
    private long read;
    private long kept;
    private long contaminated;
    private long duplicates;
    private long nearDuplicates;

    private Dedup(DedupConfig config, Decontaminator decontaminator) {
        this.config = config;
        this.decontaminator = decontaminator;
        this.near = config.near() == null ? null : NearDuplicates.of(config.near());
    }

    /**
     * @throws dev.granular.io.BadInputException when an evaluation file is missing or malformed (file and line named)
     */
    public static Dedup of(DedupConfig config) {
        return new Dedup(config, Decontaminator.fromFiles(config.decontaminate(), config.ngram()));
    }

    public DedupConfig config() {
        return config;
    }

    /** Judges the next record in input order (and remembers it for the records after it). */
    public Verdict check(TrainingRecord r) {
        read++;
        if (decontaminator.contaminated(r)) {
            contaminated++;
            return new Removed(Reason.CONTAMINATED, null, null);
        }
        if (config.exact()) {
            String first = firstByDigest.putIfAbsent(ContentDigest.of(r), r.id());
            if (first != null) {
                duplicates++;
                return new Removed(Reason.DUPLICATE, first, null);
            }
        }
        if (near != null) {
            NearDuplicates.Match m = near.add(r);
            nearIds.add(r.id());
            if (m != null) {
                nearDuplicates++;
                return new Removed(Reason.NEAR_DUPLICATE, nearIds.get(Math.toIntExact(m.of())), m.jaccard());
            }
        }
        kept++;
        return KEPT;
    }

    /** The records of {@code in} that are kept, lazily, in order. */
    public Stream<TrainingRecord> keep(Stream<TrainingRecord> in) {
        return in.filter(r -> check(r) instanceof Kept);
    }

    public Counts counts() {
        return new Counts(read, kept, contaminated, duplicates, nearDuplicates);
    }
}
