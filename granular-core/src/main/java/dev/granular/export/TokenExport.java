package dev.granular.export;

import dev.granular.export.internal.Packing;

import dev.granular.io.InvalidConfigException;
import dev.granular.record.TrainingRecord;
import dev.granular.template.ChatTemplate;
import dev.granular.tokenize.Tokenizer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * Token export as a library: records rendered with a chat template, tokenized, labelled and (optionally)
 * truncated and packed into {@link TokenRow}s, the rows {@code granular export --format tokens} writes,
 * without files.
 *
 * <pre>{@code
 * try (Tokenizer tokenizer = Tokenizers.huggingFace(Path.of("models/qwen3"))) {
 *     TokenExport export = TokenExport.of(ChatTemplate.load(Path.of("models/qwen3")), tokenizer)
 *             .withMaxLength(32_768).withTruncation(Truncation.DROP);
 *     try (Stream<TokenRow> rows = export.rows(records.stream())) {
 *         rows.forEach(row -> ...);
 *     }
 * }
 * }</pre>
 *
 * <p>An immutable value: the {@code with...} methods return copies. {@link #label} is thread-safe, so a
 * caller may label records in parallel (as the CLI does) and pack them in input order.
 */
public final class TokenExport {
    /** Examples packed together at most; bounds memory for large exports. */
    public static final int PACK_WINDOW = 100_000;

    private final Labeler labeler;
    private final int maxLength;
    private final Truncation truncation;
    private final int pack;

    private TokenExport(Labeler labeler, int maxLength, Truncation truncation, int pack) {
        this.labeler = Objects.requireNonNull(labeler, "labeler");
        this.truncation = Objects.requireNonNull(truncation, "truncation");
        if (maxLength < 0) {
            throw new InvalidConfigException("${maxLength} must be 0 (no limit) or more, got " + maxLength);
        }
        if (pack < 0) {
            throw new InvalidConfigException("${pack} must be 0 (no packing) or more, got " + pack);
        }
        if (pack > 0 && maxLength > pack) {
            throw new InvalidConfigException("${maxLength} " + maxLength + " > ${pack} " + pack
                    + ": an example longer than a packed row fits nowhere");
        }
        this.maxLength = maxLength;
        this.pack = pack;
    }

    /**
     * Rendering with {@code template}, tokenizing with {@code tokenizer} (which must stay open while this is used),
     * no length limit, one example per row, {@link Truncation#ERROR}, content spelling a special token refused.
     */
    public static TokenExport of(ChatTemplate template, Tokenizer tokenizer) {
        return new TokenExport(new Labeler(template, tokenizer), 0, Truncation.ERROR, 0);
    }

    /** With a labeler already built (its template, tokenizer and special-text rule). */
    public static TokenExport of(Labeler labeler) {
        return new TokenExport(labeler, 0, Truncation.ERROR, 0);
    }

    /** Longest example in tokens, 0 for no limit (then the packed row size when packing). */
    public TokenExport withMaxLength(int tokens) {
        return new TokenExport(labeler, tokens, truncation, pack);
    }

    /** What to do with an example over the limit. */
    public TokenExport withTruncation(Truncation t) {
        return new TokenExport(labeler, maxLength, t, pack);
    }

    /** Packs examples into rows of at most {@code tokens} (best-fit decreasing over windows of {@link #PACK_WINDOW}); 0: one example per row. */
    public TokenExport withPack(int tokens) {
        return new TokenExport(labeler, maxLength, truncation, tokens);
    }

    /** Labels content that spells a special token (e.g. {@code <|im_end|>}) as the tokenizer encodes it, instead of refusing it. */
    public TokenExport withAllowSpecialText(boolean allow) {
        return allow == labeler.allowsSpecialText() ? this
                : new TokenExport(new Labeler(labeler.template(), labeler.tokenizer(), allow), maxLength, truncation, pack);
    }

    public Labeler labeler() {
        return labeler;
    }

    public int maxLength() {
        return maxLength;
    }

    public Truncation truncation() {
        return truncation;
    }

    public int pack() {
        return pack;
    }

    /** The length limit that applies: {@link #maxLength()}, else the pack size (0: none). */
    public int limit() {
        return maxLength > 0 ? maxLength : pack;
    }

    /** One record's outcome. */
    public sealed interface Outcome permits Example, Skipped {
        String id();
    }

    /**
     * A labelled example.
     *
     * @param trained   tokens the loss is on
     * @param truncated shortened by {@link Truncation#LEFT_CONTEXT}
     */
    public record Example(String id, int[] ids, int[] labels, int trained, boolean truncated) implements Outcome {
        /** The example alone in a row. */
        public TokenRow row() {
            return new TokenRow(ids, labels, null);
        }
    }

    /**
     * A record left out.
     *
     * @param reason  why, as {@code rejected.jsonl} says
     * @param dropped too long (vs refused by the labeler: a degenerate mask, special text)
     */
    public record Skipped(String id, String reason, boolean dropped) implements Outcome {
    }

    /**
     * Labels one record and applies the length limit. Thread-safe.
     *
     * @throws InvalidConfigException when the record is over the limit with {@link Truncation#ERROR}
     */
    public Outcome label(TrainingRecord r) {
        Labeler.Result res = labeler.label(r);
        if (res instanceof Labeler.Refused refused) {
            return new Skipped(r.id(), refused.reason(), false);
        }
        LossMask m = (LossMask) res;
        int limit = limit();
        boolean truncated = false;
        if (limit > 0 && m.size() > limit) {
            switch (truncation) {
                case ERROR -> throw new InvalidConfigException("record " + r.id() + " has " + m.size() + " tokens > ${maxLength} " + limit
                        + " (use ${truncation} drop or left-context to go on)");
                case DROP -> {
                    return new Skipped(r.id(), "longer than --max-length " + limit
                            + (trainedBeyond(m, limit) ? " (truncating would cut trained tokens)" : ""), true);
                }
                case LEFT_CONTEXT -> {
                    Object fitted = LeftContext.fit(labeler, r, m.size(), limit);
                    if (fitted instanceof Labeler.Refused refused) {
                        return new Skipped(r.id(), refused.reason().startsWith(m.size() + " tokens")
                                ? "left-context: cannot fit --max-length " + limit + " without cutting trained text"
                                : refused.reason(), true);
                    }
                    m = ((LeftContext.Fitted) fitted).mask();
                    truncated = true;
                }
            }
        }
        return new Example(r.id(), m.ids(), m.labels(), m.trainedTokens(), truncated);
    }

    private static boolean trainedBeyond(LossMask m, int limit) {
        for (int i = limit; i < m.size(); i++) {
            if (m.isTrained(i)) {
                return true;
            }
        }
        return false;
    }

    /** Packs {@code window} (examples in input order) into rows of at most {@link #pack()} tokens, best-fit decreasing. */
    public List<TokenRow> pack(List<Example> window) {
        if (pack <= 0) {
            throw new IllegalStateException("no packing configured (withPack)");
        }
        int[] lengths = new int[window.size()];
        for (int i = 0; i < lengths.length; i++) {
            lengths[i] = window.get(i).ids().length;
        }
        List<TokenRow> rows = new ArrayList<>();
        for (int[] bin : Packing.bestFitDecreasing(lengths, pack)) {
            int n = 0;
            for (int i : bin) {
                n += lengths[i];
            }
            int[] ids = new int[n];
            int[] labels = new int[n];
            int[] positions = new int[n];
            int at = 0;
            for (int i : bin) {
                Example e = window.get(i);
                System.arraycopy(e.ids(), 0, ids, at, lengths[i]);
                System.arraycopy(e.labels(), 0, labels, at, lengths[i]);
                for (int p = 0; p < lengths[i]; p++) {
                    positions[at + p] = p;
                }
                at += lengths[i];
            }
            rows.add(new TokenRow(ids, labels, positions));
        }
        return rows;
    }

    /** As {@link #rows(Stream, Consumer)}, ignoring the records left out. */
    public Stream<TokenRow> rows(Stream<TrainingRecord> records) {
        return rows(records, s -> { });
    }

    /**
     * The rows of {@code records}, in order (packed rows per window of {@link #PACK_WINDOW} examples), labelled on
     * the calling thread as the stream is consumed; each record left out goes to {@code skipped}. Closing the
     * returned stream closes {@code records}.
     */
    public Stream<TokenRow> rows(Stream<TrainingRecord> records, Consumer<? super Skipped> skipped) {
        Iterator<TrainingRecord> in = records.iterator();
        Iterator<TokenRow> out = new Iterator<>() {
            private Iterator<TokenRow> current = Collections.emptyIterator();

            @Override
            public boolean hasNext() {
                while (!current.hasNext()) {
                    if (!in.hasNext()) {
                        return false;
                    }
                    List<Example> window = new ArrayList<>();
                    int size = pack > 0 ? PACK_WINDOW : 1;
                    while (in.hasNext() && window.size() < size) {
                        switch (label(in.next())) {
                            case Example e -> window.add(e);
                            case Skipped s -> skipped.accept(s);
                        }
                    }
                    current = window.isEmpty() ? Collections.emptyIterator()
                            : pack > 0 ? pack(window).iterator() : List.of(window.get(0).row()).iterator();
                }
                return true;
            }

            @Override
            public TokenRow next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return current.next();
            }
        };
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(out, Spliterator.ORDERED | Spliterator.NONNULL), false)
                .onClose(records::close);
    }
}
