package dev.granular.export;

import dev.granular.io.BadInputException;
import dev.granular.io.StoppedEarlyException;
import dev.granular.record.Message;
import dev.granular.record.RecordJson;
import dev.granular.record.TrainingRecord;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The child JVM of {@link TokenExportStopStressTest}: token exports, each loading and closing its
 * own tokenizer, stopped by an error at a random record with 2-8 labelling threads. Per run it
 * prints the exit code the CLI would give (2 bad input, 3 stopped early, 1 anything else), whether
 * anything was left in --out, and whether the same export, rerun after fixing the cause, succeeds.
 * The lines go to standard error, with any stack trace. Exits 0 when every run gave 2, left nothing and reran; 1 otherwise; a crash is the JVM's own.
 *
 * <p>Arguments: tokenizer directory, work directory, runs, seed.
 */
public final class TokenExportStopChild {
    /** Records per input; the stop lands among them. */
    private static final int RECORDS = 120;
    private static final int MAX_LENGTH = 2_000;

    private TokenExportStopChild() {
    }

    public static void main(String[] args) throws IOException {
        Path tokenizer = Path.of(args[0]);
        Path work = Path.of(args[1]);
        int runs = Integer.parseInt(args[2]);
        SplittableRandom rnd = new SplittableRandom(Long.parseLong(args[3]));
        boolean ok = true;
        for (int run = 0; run < runs; run++) {
            int threads = 2 + rnd.nextInt(7);
            int stopAt = rnd.nextInt(RECORDS);
            boolean badLine = rnd.nextBoolean();
            TokenExportJob.FileFormat ff = rnd.nextBoolean() ? TokenExportJob.FileFormat.PARQUET : TokenExportJob.FileFormat.JSONL;
            Path in = work.resolve("in-" + run);
            Path out = work.resolve("out-" + run);
            List<String> lines = lines(rnd, stopAt, badLine);
            write(in, lines);
            int exit = exitCode(in, out, tokenizer, Truncation.ERROR, ff, threads);
            boolean clean = !Files.exists(out);
            // The user's fix: drop the over-long record, or mend the bad line; then the same --out.
            if (badLine) {
                lines.set(stopAt, RecordJson.toJson(record("mended", 3)));
                write(in, lines);
            }
            int rerun = exitCode(in, out, tokenizer, badLine ? Truncation.ERROR : Truncation.DROP, ff, threads);
            boolean finished = Files.isRegularFile(out.resolve("manifest.json"));
            boolean good = exit == 2 && clean && rerun == 0 && finished;
            ok &= good;
            System.err.printf("run %d: %d threads, %s at record %d, %s: exit %d, %s; rerun exit %d%s%n", run, threads,
                    badLine ? "bad line" : "too long", stopAt, ff.wireName(), exit, clean ? "nothing left" : "LEFT " + out,
                    rerun, good ? "" : "  <-- WRONG");
        }
        System.err.flush();
        System.exit(ok ? 0 : 1);
    }

    /** Exit code the CLI maps the outcome to. */
    private static int exitCode(Path in, Path out, Path tokenizer, Truncation t, TokenExportJob.FileFormat ff, int threads) {
        try {
            TokenExportJob.run(new TokenExportJob.Spec(in, TokenFormat.TOKENS, out, tokenizer, null, MAX_LENGTH, t, 0, ff, 16, threads,
                    false, false, List.of("export")));
            return 0;
        } catch (BadInputException e) {
            return 2;
        } catch (StoppedEarlyException e) {
            return 3;
        } catch (RuntimeException e) {
            e.printStackTrace();
            return 1;
        }
    }

    /** Records of 100-1,500 tokens; at {@code stopAt}, one of ~6,000 tokens or a line that is not JSON. */
    private static List<String> lines(SplittableRandom rnd, int stopAt, boolean badLine) {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < RECORDS; i++) {
            if (i == stopAt) {
                lines.add(badLine ? "{\"id\": \"broken\", \"messages\": [" : RecordJson.toJson(record("long-" + i, 200)));
            } else {
                lines.add(RecordJson.toJson(record("r" + i, 3 + rnd.nextInt(48))));
            }
        }
        return lines;
    }

    private static TrainingRecord record(String id, int paragraphs) {
        return new TrainingRecord(id, List.of(Message.user(TokenExportJobTest.context(paragraphs)), Message.assistant("Thirty-seven.")),
                null, Map.of("design", "test"));
    }

    private static void write(Path in, List<String> lines) throws IOException {
        Files.createDirectories(in.resolve("data"));
        Files.write(in.resolve("data/part-00000.jsonl"), lines);
    }
}
