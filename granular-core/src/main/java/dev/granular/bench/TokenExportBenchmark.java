package dev.granular.bench;

import dev.granular.concurrent.WorkerPool;
import dev.granular.corpus.reader.BundledCorpus;
import dev.granular.export.Labeler;
import dev.granular.export.TokenExportJob;
import dev.granular.record.Message;
import dev.granular.record.RecordJson;
import dev.granular.record.RecordReader;
import dev.granular.record.TrainingRecord;
import dev.granular.template.ChatTemplate;
import dev.granular.tokenize.Tokenizer;
import dev.granular.tokenize.Tokenizers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;

/**
 * {@code granular bench tokens-export}: the token export's throughput against the raw tokenizer's on
 * the same texts, in the same process and with the same threads. The baseline encodes each
 * record's rendering (rendered beforehand, untimed) with {@link Tokenizer#encode}; the export runs
 * the whole {@link TokenExportJob} (read JSONL, render twice, tokenize with spans, label, write
 * Parquet). Both count the same tokens. Rounds alternate the two, so the median of the per-round
 * ratios resists a machine shared with other jobs better than the ratio of the bests.
 */
public final class TokenExportBenchmark {

    /** Best-of-rounds figures. */
    public record Figures(int records, long tokens, int threads, double rawSeconds, double exportSeconds, double medianFraction) {
        public double rawTokensPerSecond() {
            return tokens / rawSeconds;
        }

        public double exportTokensPerSecond() {
            return tokens / exportSeconds;
        }

        /** Best export throughput over best raw encode throughput. */
        public double fraction() {
            return rawSeconds / exportSeconds;
        }
    }

    private TokenExportBenchmark() {
    }

    /** IN2-like records from the bundled corpus: a system prompt, a context of paragraphs, a trained answer. */
    public static List<TrainingRecord> records(int count) {
        List<String> paragraphs = new ArrayList<>();
        // The bundled addresses are one line each: cut them into paragraphs of whole sentences, ~600 characters.
        BundledCorpus.forEach(d -> {
            StringBuilder p = new StringBuilder();
            for (String sentence : d.text().split("(?<=[.!?])\\s+")) {
                p.append(sentence).append(' ');
                if (p.length() >= 600) {
                    paragraphs.add(p.toString().strip());
                    p.setLength(0);
                }
            }
        });
        List<TrainingRecord> out = new ArrayList<>(count);
        int at = 0;
        for (int i = 0; i < count; i++) {
            int n = 2 + i % 9; // 2..10 paragraphs of context
            StringBuilder ctx = new StringBuilder();
            for (int k = 0; k < n; k++) {
                ctx.append(paragraphs.get(at++ % paragraphs.size())).append("\n\n");
            }
            ctx.append("What does the passage above say about the state of the Union?");
            String answer = paragraphs.get(at++ % paragraphs.size());
            out.add(new TrainingRecord("bench-" + i, List.of(Message.system("Answer from the document."), Message.user(ctx.toString()),
                    Message.assistant(answer)), null, Map.of("design", "bench")));
        }
        return out;
    }

    /** @param chatTemplate a template file replacing the directory's ({@code --chat-template}), or null */
    public static Figures run(Path tokenizerDir, Path chatTemplate, int count, int rounds, int threads, Path work) {
        List<TrainingRecord> records = records(count);
        Path in = work.resolve("in");
        try {
            Files.createDirectories(in.resolve("data"));
            StringBuilder sb = new StringBuilder();
            for (TrainingRecord r : records) {
                sb.append(RecordJson.toJson(r)).append('\n');
            }
            Files.writeString(in.resolve("data/part-00000.jsonl"), sb.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return run(tokenizerDir, chatTemplate, in, records, rounds, threads, work);
    }

    /**
     * The same measurement on existing canonical records (e.g. {@code granular in2 --out out/demo}):
     * the export reads {@code in}; the baseline encodes the renderings of all its records.
     */
    public static Figures run(Path tokenizerDir, Path chatTemplate, Path in, int rounds, int threads, Path work) {
        return run(tokenizerDir, chatTemplate, in, RecordReader.readAll(in), rounds, threads, work);
    }

    private static Figures run(Path tokenizerDir, Path chatTemplate, Path in, List<TrainingRecord> records, int rounds, int threads,
                               Path work) {
        ChatTemplate template = ChatTemplate.load(tokenizerDir, chatTemplate);
        try (Tokenizer tokenizer = Tokenizers.load(tokenizerDir.toString())) {
            Labeler labeler = new Labeler(template, tokenizer);
            List<String> texts = records.stream().map(r -> template.render(r, false)).toList();
            double raw = Double.MAX_VALUE;
            double export = Double.MAX_VALUE;
            long tokens = 0;
            List<Double> fractions = new ArrayList<>();
            // Joined before the tokenizer closes, also when a round fails.
            try (WorkerPool pool = WorkerPool.platform(threads, "granular-bench")) {
                for (int round = 0; round < rounds + 1; round++) { // round 0 warms up
                    long t0 = System.nanoTime();
                    long rawTokens = encodeAll(pool, tokenizer, texts);
                    double rs = (System.nanoTime() - t0) / 1e9;
                    t0 = System.nanoTime();
                    TokenExportJob.Result r = TokenExportJob.run(TokenExportJob.Spec.of(in, work.resolve("out"), tokenizerDir)
                            .withChatTemplate(chatTemplate).withThreads(threads).withOverwrite(true)
                            .withCommandLine(List.of("bench", "tokens-export")), labeler);
                    double es = (System.nanoTime() - t0) / 1e9;
                    if (r.tokens() != rawTokens || r.examples() != records.size()) {
                        throw new IllegalStateException("export wrote " + r.tokens() + " tokens of " + r.examples()
                                + " examples; raw encode gave " + rawTokens + " tokens of " + records.size());
                    }
                    tokens = rawTokens;
                    if (round > 0) {
                        fractions.add(rs / es);
                        raw = Math.min(raw, rs);
                        export = Math.min(export, es);
                    }
                }
            }
            fractions.sort(null);
            int m = fractions.size();
            double median = m % 2 == 1 ? fractions.get(m / 2) : (fractions.get(m / 2 - 1) + fractions.get(m / 2)) / 2;
            return new Figures(records.size(), tokens, threads, raw, export, median);
        }
    }

    private static long encodeAll(WorkerPool pool, Tokenizer tokenizer, List<String> texts) {
        int chunk = Math.max(1, texts.size() / 64);
        List<Future<Long>> fs = new ArrayList<>();
        for (int s = 0; s < texts.size(); s += chunk) {
            List<String> part = texts.subList(s, Math.min(texts.size(), s + chunk));
            fs.add(pool.submit(() -> {
                long n = 0;
                for (String t : part) {
                    n += tokenizer.encode(t).length;
                }
                return n;
            }));
        }
        long total = 0;
        try {
            for (Future<Long> f : fs) {
                total += f.get();
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return total;
    }
}
