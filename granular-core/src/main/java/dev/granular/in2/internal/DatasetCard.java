package dev.granular.in2.internal;

import dev.granular.in2.In2Config;
import dev.granular.in2.In2Job;

import dev.granular.files.AtomicFiles;
import dev.granular.files.HubCard;
import dev.granular.files.OutputDirectory;
import java.util.Locale;
import java.util.Map;

/** Writes {@code DIR/README.md}: what the IN2 dataset is, how it was made, its statistics, how to train on it. */
public final class DatasetCard {
    private DatasetCard() {
    }

    public static void write(OutputDirectory dir, In2Job.Spec spec, In2Config config, String tokenizer, CorpusBuild build,
                      In2Report report, Map<String, Object> manifest) {
        write(dir, spec, null, config, tokenizer, null, build, report, manifest, null);
    }

    /**
     * {@link #write}, naming the chat template rows are sized with (or null), and with the teacher's
     * spend over every attempt of the run (a Markdown table) when it asked one; {@code corpusLabel} names a corpus an
     * engine read itself ({@link In2Engine.OwnCorpus}), null for {@code spec.corpus()}.
     */
    public static void write(OutputDirectory dir, In2Job.Spec spec, String corpusLabel, In2Config config, String tokenizer,
                      dev.granular.template.ChatTemplate chatTemplate, CorpusBuild build,
                      In2Report report, Map<String, Object> manifest, String teacherSpend) {
        StringBuilder md = new StringBuilder();
        md.append("# IN2 long-context training data\n\n");
        md.append("Made by granular ").append(Version.get()).append(" with `granular ")
                .append(String.join(" ", spec.commandLine())).append("`.\n\n");
        md.append("""
                Each example is a long context built from %d-token segments of a text corpus, with a question
                that needs one specific segment (*single*) or two segments of one document (*multi*) placed at
                uniformly random depths, so that a model fine-tuned on it learns to use every position of its
                context window (IN2 training, An et al. 2024, "Make Your LLM Fully Utilize the Context").
                *short* examples give the source document alone; *general* examples are copied instruction data
                that keep short-context skills. Only the answer is trained (`"train": true` on the assistant
                message).

                """.formatted(config.segmentTokens()));
        md.append("## Contents\n\n");
        md.append("| | |\n|---|---|\n");
        md.append("| records | ").append(report.records()).append(" |\n");
        report.byKind().forEach((k, v) -> md.append("| ").append(k).append(" | ").append(v).append(" |\n"));
        md.append("| context tokens (all examples) | ").append(report.contextTokens()).append(" |\n");
        md.append("| tokenizer | `").append(tokenizer).append("` |\n");
        if (chatTemplate == null) {
            md.append("| long contexts | ").append(config.minTokens()).append("–").append(config.maxTokens()).append(" tokens |\n");
        } else {
            md.append("| chat template | `").append(chatTemplate.source()).append("` (").append(chatTemplate.fingerprint()).append(") |\n");
            md.append("| long rows | ").append(config.minTokens()).append("–").append(config.maxTokens())
                    .append(" tokens, rendered with the chat template (`meta.rendered_tokens`) |\n");
        }
        md.append("| seed | ").append(config.seed()).append(" |\n");
        md.append("| corpus | ").append(corpusLabel != null ? corpusLabel : spec.corpus().isEmpty() ? "bundled sample (US State of the Union addresses, public domain)"
                : String.join(", ", spec.corpus().stream().map(Object::toString).toList())).append(" |\n");
        md.append("| corpus documents | ").append(build.documents()).append(" (").append(build.decontaminated())
                .append(" dropped by decontamination) |\n");
        md.append("| segments | ").append(build.segments()).append(" |\n\n");
        md.append("Question kinds: ");
        md.append(String.join(", ", report.byQaKind().entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).toList()));
        md.append(".\n\n");
        if (report.summary().get("questions") instanceof Map<?, ?> q) {
            md.append("No question is asked twice: ").append(q.get("redrawn_duplicates"))
                    .append(" examples whose question repeated an earlier one were drawn again; ").append(q.get("repeated"))
                    .append(" repeats are left.\n\n");
        }
        md.append("## Depth and length\n\n");
        md.append(String.format(Locale.ROOT, "Key segments over depth, 10 bins; chi-square test of uniformity: p = %s.%n%n",
                In2Report.fmt(report.depthP())));
        md.append("![depth](report/depth.png)\n\n![lengths](report/lengths.png)\n\n");
        md.append("""
                ## Files

                - `data/part-NNNNN.jsonl`: the records, one JSON object per line, in granular's canonical format
                  (`{"id", "messages": [{"role", "content", "train"}], "meta"}`). `meta` has the kind, the question
                  kind, `context_tokens`, the key segments' positions (`key_segments`, `key_char_spans` in code points
                  of the user message, `depth`) and the `evidence` the answer rests on.
                - `manifest.json`: command, configuration, inputs' fingerprints, counts, timings.
                - `report/summary.json`: the statistics above.

                ## Training on it

                Trainers read the records directly or through `granular export` (axolotl, TRL, LLaMA-Factory,
                OpenAI, pre-tokenized). With axolotl, for example:

                ```yaml
                datasets:
                  - path: data/
                    type: chat_template
                    field_messages: messages
                    message_field_training: train
                    roles_to_train: []
                    train_on_eos: turn
                sequence_len: 32768
                ```

                IN2 trained Mistral-7B-Instruct-v0.2 for one epoch at learning rate 1e-6 with a 32K window, loss on
                the answer only. Check the data with `granular validate` before training.
                """);
        if (teacherSpend != null) {
            md.append("\n## Spend\n\nThe teacher, every attempt of this run (an interrupted run resumed pays only for what it did "
                    + "not have):\n\n").append(teacherSpend);
        }
        HubCard card = HubCard.train("IN2 long-context training data", report.records(),
                java.util.List.of("text-generation", "question-answering"), "long-context", "in2", "synthetic");
        // The records' types from where they were written (a distributed run's shards), or read back here.
        card = report.rowTypes() != null ? card.withFeatures(report.rowTypes()) : card.withFeaturesOf(dir.dir());
        AtomicFiles.write(dir.dir().resolve("README.md"), card.card(md.toString()));
    }
}
