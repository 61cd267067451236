package dev.granular.probe;

import dev.granular.corpus.CorpusOptions;
import dev.granular.io.InvalidConfigException;
import dev.granular.probe.internal.ProbeRun;
import java.nio.file.Path;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * {@code granular probe}: writes lost-in-the-middle probes into an output folder, VAL probes (one per position per
 * set, for {@link ProbeTask#DOCUMENT}, {@link ProbeTask#CODE} and {@link ProbeTask#DATABASE}) or a needle grid (one per
 * length and depth, {@link ProbeTask#NEEDLE}). Each probe is a record whose user message is a long context and a
 * question about one position in it; {@link EvalJob} scores a model on them. Construction is deterministic, so a
 * killed run resumes by rebuilding the probes and writing only those not yet on disk.
 *
 * <pre>{@code
 * ProbeJob.Result probes = ProbeJob.run(ProbeJob.Spec.of(ProbeTask.DOCUMENT, Path.of("out/probe-doc"))
 *         .withPieces(Path.of("document_sentences.jsonl")));
 * }</pre>
 */
public final class ProbeJob {
    /**
     * What to build.
     *
     * @param task          the task
     * @param pieces        a pieces file in the public VAL-probing format (VAL tasks), or null to make items from the corpus
     * @param corpus        corpus paths; empty = the bundled sample (code needs a corpus of .py files or {@code pieces})
     * @param corpusOptions how the corpus files are read (text field, bad rows)
     * @param config        layout of VAL probes (positions, bins, sets, tokens, seed, template); needle uses its
     *                      template and, with a chat template, nothing else
     * @param tokenizer     tokenizer spec ({@code o200k_base}, {@code cl100k_base}, a tokenizer.json or its folder)
     * @param lengths       needle: haystack lengths in tokens
     * @param depths        needle: depths in percent
     * @param needle        needle: the fact hidden in the haystack
     * @param out           the output folder
     * @param shardSize     records per data file
     * @param overwrite     replace a different run in {@code out}
     * @param commandLine   the command line the manifest records
     * @param chatTemplate  the model's chat template (a file, or {@code tokenizer} for the tokenizer folder's own), or
     *                      null: with it, {@link ProbeConfig#contextTokens()} and the needle lengths count the whole prompt
     *                      rendered with the generation prompt
     */
    public record Spec(ProbeTask task, Path pieces, List<Path> corpus, CorpusOptions corpusOptions, ProbeConfig config,
                       String tokenizer, List<Integer> lengths, List<Integer> depths, Needle needle, Path out, int shardSize,
                       boolean overwrite, List<String> commandLine, String chatTemplate) {
        public Spec {
            corpus = List.copyOf(corpus);
            lengths = List.copyOf(lengths);
            depths = List.copyOf(depths);
            commandLine = List.copyOf(commandLine);
            // Named by field, not flag: the CLI shows --depths, a recipe its key (InvalidConfigException#message).
            for (int d : depths) {
                if (d < 0 || d > 100) {
                    throw new InvalidConfigException("${depths} are percentages from 0 to 100, got " + d);
                }
            }
            for (int l : lengths) {
                if (l < 1) {
                    throw new InvalidConfigException("${lengths} must be positive token counts, got " + l);
                }
            }
            if (pieces != null && !task.isVal()) {
                throw new InvalidConfigException("${pieces} is for document, code and database, not needle");
            }
            if (!task.isVal() && (lengths.isEmpty() || depths.isEmpty())) {
                throw new InvalidConfigException("needle needs at least one ${lengths} value and one ${depths} value");
            }
        }

        /**
         * {@code task}'s probes into {@code out} with the defaults of {@code granular probe}: items from the bundled
         * sample corpus (no pieces file), the text field {@code text}, {@link ProbeConfig#defaults(ProbeTask)}, the
         * {@code o200k_base} tokenizer, needle lengths 4000, 8000, 16000 and 32000 tokens at depths 0, 10, ..., 100
         * percent with {@link Needle#BUILTIN}, shards of 10,000 records, no overwrite, no chat template. The command
         * line the manifest records is {@code ["probe"]}; the CLI gives its own ({@link #withCommandLine}).
         */
        public static Spec of(ProbeTask task, Path out) {
            return new Spec(task, null, List.of(), CorpusOptions.defaults(), ProbeConfig.defaults(task), "o200k_base",
                    List.of(4000, 8000, 16000, 32000), List.of(0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100), Needle.BUILTIN, out,
                    10_000, false, List.of("probe"), null);
        }

        /** A pieces file for a VAL task ({@code --pieces}); null to make items from the corpus. */
        public Spec withPieces(Path v) {
            return new Spec(task, v, corpus, corpusOptions, config, tokenizer, lengths, depths, needle, out, shardSize, overwrite,
                    commandLine, chatTemplate);
        }

        /** Corpus files or folders ({@code --corpus}); empty for the bundled sample. */
        public Spec withCorpus(List<Path> v) {
            return new Spec(task, pieces, v, corpusOptions, config, tokenizer, lengths, depths, needle, out, shardSize, overwrite,
                    commandLine, chatTemplate);
        }

        /** How the corpus is read ({@code --text-field}). */
        public Spec withCorpusOptions(CorpusOptions v) {
            return new Spec(task, pieces, corpus, v, config, tokenizer, lengths, depths, needle, out, shardSize, overwrite,
                    commandLine, chatTemplate);
        }

        /** The VAL layout ({@code --context-tokens}, {@code --positions}, {@code --bin}, {@code --sets}, {@code --seed}, {@code --template}). */
        public Spec withConfig(ProbeConfig v) {
            return new Spec(task, pieces, corpus, corpusOptions, v, tokenizer, lengths, depths, needle, out, shardSize, overwrite,
                    commandLine, chatTemplate);
        }

        /** The tokenizer that counts the tokens ({@code --tokenizer}). */
        public Spec withTokenizer(String v) {
            return new Spec(task, pieces, corpus, corpusOptions, config, v, lengths, depths, needle, out, shardSize, overwrite,
                    commandLine, chatTemplate);
        }

        /** Needle haystack lengths in tokens ({@code --lengths}). */
        public Spec withLengths(List<Integer> v) {
            return new Spec(task, pieces, corpus, corpusOptions, config, tokenizer, v, depths, needle, out, shardSize, overwrite,
                    commandLine, chatTemplate);
        }

        /** Needle depths in percent ({@code --depths}). */
        public Spec withDepths(List<Integer> v) {
            return new Spec(task, pieces, corpus, corpusOptions, config, tokenizer, lengths, v, needle, out, shardSize, overwrite,
                    commandLine, chatTemplate);
        }

        /** The needle ({@code --needle}, read with {@link Needle#read}). */
        public Spec withNeedle(Needle v) {
            return new Spec(task, pieces, corpus, corpusOptions, config, tokenizer, lengths, depths, v, out, shardSize, overwrite,
                    commandLine, chatTemplate);
        }

        /** Records per data file ({@code --shard-size}). */
        public Spec withShardSize(int v) {
            return new Spec(task, pieces, corpus, corpusOptions, config, tokenizer, lengths, depths, needle, out, v, overwrite,
                    commandLine, chatTemplate);
        }

        /** Replace a different run in {@code out} ({@code --overwrite}). */
        public Spec withOverwrite(boolean v) {
            return new Spec(task, pieces, corpus, corpusOptions, config, tokenizer, lengths, depths, needle, out, shardSize, v,
                    commandLine, chatTemplate);
        }

        /** The command line the manifest records. */
        public Spec withCommandLine(List<String> v) {
            return new Spec(task, pieces, corpus, corpusOptions, config, tokenizer, lengths, depths, needle, out, shardSize,
                    overwrite, v, chatTemplate);
        }

        /** The model's chat template ({@code --chat-template}); null to count the context's tokens only. */
        public Spec withChatTemplate(String v) {
            return new Spec(task, pieces, corpus, corpusOptions, config, tokenizer, lengths, depths, needle, out, shardSize,
                    overwrite, commandLine, v);
        }
    }

    /**
     * What a run wrote.
     *
     * @param probes        the probes in the folder (those an earlier run wrote included)
     * @param swaps         VAL targets swapped for being ambiguous (their piece occurs more than once in the context)
     * @param contextTokens the context's tokens per set (VAL) or per grid cell (needle)
     */
    public record Result(long probes, int swaps, List<Integer> contextTokens) {
        public Result {
            contextTokens = List.copyOf(contextTokens);
        }
    }

    private ProbeJob() {
    }

    /** Builds and writes {@code spec}'s probes, the card and the manifest; a rerun after a crash writes only what is missing. */
    public static Result run(Spec spec) {
        return run(spec, n -> { });
    }

    /**
     * As {@link #run(Spec)}, telling {@code progress} of every probe done (those an earlier run
     * wrote included), as they are.
     */
    public static Result run(Spec spec, LongConsumer progress) {
        return ProbeRun.run(spec, progress);
    }
}
