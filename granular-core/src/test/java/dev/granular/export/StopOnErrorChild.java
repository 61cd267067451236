package dev.granular.export;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.in2.In2Config;
import dev.granular.in2.In2Job;
import dev.granular.io.BadInputException;
import dev.granular.io.StoppedEarlyException;
import dev.granular.record.Message;
import dev.granular.record.RecordJson;
import dev.granular.record.TrainingRecord;
import dev.granular.tokenize.SmallTokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The child JVM of {@link StopOnErrorStressTest}: token exports (and every {@link #IN2_EVERY}th run an
 * IN2 run), each loading and closing its own tokenizer, stopped by an error at a random record with
 * 2-8 worker threads. Per run it
 * prints the exit code the CLI would give (2 bad input, 3 stopped early, 1 anything else) and
 * whether anything was left in --out; every {@link #RERUN_EVERY}th run, also whether the same
 * export, rerun after fixing the cause, succeeds. The lines go to standard error, with any stack
 * trace. Exits 0 when every run gave 2, left nothing and reran; 1 otherwise; a crash is the JVM's own.
 *
 * <p>The tokenizer is {@link SmallTokenizer}: the same native code as a real one, but it loads in
 * milliseconds instead of seconds, so each run can open and close its own.
 *
 * <p>Arguments: work directory, runs, seed.
 */
public final class StopOnErrorChild {
    /** Records per input; the stop lands among them. */
    private static final int RECORDS = 120;
    /** Every this many runs, the cause is fixed and the export rerun into the same --out. */
    static final int RERUN_EVERY = 6;
    /** Every this many runs, the run is an IN2 one instead of an export. */
    static final int IN2_EVERY = 3;
    /** Above every ordinary record (at most ~4,500 byte tokens), below the long one (~17,000). */
    private static final int MAX_LENGTH = 12_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private StopOnErrorChild() {
    }

    public static void main(String[] args) throws IOException {
        Path work = Path.of(args[0]);
        int runs = Integer.parseInt(args[1]);
        SplittableRandom rnd = new SplittableRandom(Long.parseLong(args[2]));
        Path tokenizer = SmallTokenizer.write(work.resolve("tokenizer"));
        System.err.println("seed " + args[2]);
        boolean ok = true;
        for (int run = 0; run < runs; run++) {
            int threads = 2 + rnd.nextInt(7);
            int stopAt = rnd.nextInt(RECORDS);
            boolean badLine = rnd.nextBoolean();
            TokenExportJob.FileFormat ff = rnd.nextBoolean() ? TokenExportJob.FileFormat.PARQUET : TokenExportJob.FileFormat.JSONL;
            Path in = work.resolve("in-" + run);
            Path out = work.resolve("out-" + run);
            if (run % IN2_EVERY == IN2_EVERY - 1) {
                ok &= in2(work, run, tokenizer, threads, stopAt);
                continue;
            }
            List<String> lines = lines(rnd, stopAt, badLine);
            write(in, lines);
            long t0 = System.nanoTime();
            int exit = exitCode(in, out, tokenizer, Truncation.ERROR, ff, threads);
            boolean clean = !Files.exists(out);
            boolean good = exit == 2 && clean;
            String rerun = "";
            if (run % RERUN_EVERY == 0) {
                // The user's fix: drop the over-long record, or mend the bad line; then the same command, same --out.
                if (badLine) {
                    lines.set(stopAt, RecordJson.toJson(record("mended", 3)));
                    write(in, lines);
                }
                int again = exitCode(in, out, tokenizer, badLine ? Truncation.ERROR : Truncation.DROP, ff, threads);
                boolean finished = Files.isRegularFile(out.resolve("manifest.json"));
                good &= again == 0 && finished;
                rerun = "; rerun exit " + again + (finished ? "" : ", NO manifest");
            }
            ok &= good;
            System.err.printf("run %d: export, %d threads, %s at record %d, %s: exit %d, %s%s  (%d ms)%s%n", run, threads,
                    badLine ? "bad line" : "too long", stopAt, ff.wireName(), exit, clean ? "nothing left" : "LEFT " + out, rerun,
                    (System.nanoTime() - t0) / 1_000_000, good ? "" : "  <-- WRONG");
        }
        System.err.flush();
        System.exit(ok ? 0 : 1);
    }

    /**
     * An IN2 run whose corpus has a line that is not JSON at document {@code stopAt}: the main thread
     * stops on it while workers tokenize the documents before it.
     */
    private static boolean in2(Path work, int run, Path tokenizer, int threads, int stopAt) throws IOException {
        Path corpus = work.resolve("corpus-" + run + ".jsonl");
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < RECORDS; i++) {
            lines.add(i == stopAt ? "{\"text\": \"broken" : JSON.writeValueAsString(Map.of("text", TokenExportJobTest.context(5 + i % 20))));
        }
        Files.write(corpus, lines);
        Path out = work.resolve("out-" + run);
        long t0 = System.nanoTime();
        int exit = exitCode(() -> In2Job.run(In2Job.Spec.of(List.of(corpus), In2Config.DEFAULT.withExamples(4), out)
                .withTokenizer(tokenizer.toString()).withShardSize(16).withThreads(threads), In2Job.Listener.NONE));
        boolean clean = !Files.exists(out);
        boolean good = exit == 2 && clean;
        System.err.printf("run %d: in2, %d threads, bad line at document %d: exit %d, %s  (%d ms)%s%n", run, threads, stopAt, exit,
                clean ? "nothing left" : "LEFT " + out, (System.nanoTime() - t0) / 1_000_000, good ? "" : "  <-- WRONG");
        return good;
    }

    private static int exitCode(Path in, Path out, Path tokenizer, Truncation t, TokenExportJob.FileFormat ff, int threads) {
        return exitCode(() -> TokenExportJob.run(TokenExportJob.Spec.of(in, out, tokenizer).withMaxLength(MAX_LENGTH).withTruncation(t)
                .withFileFormat(ff).withShardSize(16).withThreads(threads)));
    }

    /** Exit code the CLI maps the outcome of {@code job} to. */
    private static int exitCode(Runnable job) {
        try {
            job.run();
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

    /** Records of 500-4,500 (byte) tokens; at {@code stopAt}, one of ~17,000 or a line that is not JSON. */
    private static List<String> lines(SplittableRandom rnd, int stopAt, boolean badLine) {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < RECORDS; i++) {
            if (i == stopAt) {
                lines.add(badLine ? "{\"id\": \"broken\", \"messages\": [" : RecordJson.toJson(record("long-" + i, 120)));
            } else {
                lines.add(RecordJson.toJson(record("r" + i, 3 + rnd.nextInt(28))));
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
