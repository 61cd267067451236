package dev.granular.tokenize;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The child JVM of {@link HuggingFaceTokenizerAdapterTest#closeWhileOtherThreadsEncodeNeverCrashes}:
 * each round opens a {@link SmallTokenizer}, lets 2-8 threads encode, encode with spans and decode
 * with it in a loop, and closes it under them. Every thread must end on the adapter's "is closed"
 * exception; anything else is printed and makes the exit code 1. Before the adapter guarded its
 * calls, freeing the tokenizer under a call crashed the JVM.
 *
 * <p>Arguments: work directory, rounds.
 */
public final class CloseWhileEncodingChild {
    private CloseWhileEncodingChild() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = SmallTokenizer.write(Path.of(args[0]).resolve("small"));
        int rounds = Integer.parseInt(args[1]);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            text.append("Sentence ").append(i).append(": the river Seine flows through Paris, naïve café 日本語 😀.\n\n");
        }
        boolean ok = true;
        for (int round = 0; round < rounds; round++) {
            Tokenizer t = Tokenizers.load(dir.toString());
            int threads = 2 + round % 7;
            AtomicLong calls = new AtomicLong();
            List<String> endings = new ArrayList<>();
            List<Thread> workers = new ArrayList<>();
            for (int w = 0; w < threads; w++) {
                int kind = w % 3;
                workers.add(Thread.ofPlatform().start(() -> {
                    String ending;
                    try {
                        while (true) {
                            switch (kind) {
                                case 0 -> t.encode(text.toString());
                                case 1 -> t.encodeWithSpans(text.toString());
                                default -> t.decode(t.encode(text.substring(0, 2_000)));
                            }
                            calls.incrementAndGet();
                        }
                    } catch (IllegalStateException e) {
                        ending = e.getMessage();
                    } catch (RuntimeException | Error e) {
                        ending = "UNEXPECTED " + e;
                    }
                    synchronized (endings) {
                        endings.add(ending);
                    }
                }));
            }
            while (calls.get() < threads * 4L) {
                Thread.onSpinWait(); // the workers are calling the tokenizer now
            }
            t.close();
            for (Thread w : workers) {
                w.join();
            }
            boolean good = endings.size() == threads && endings.stream().allMatch(e -> e.equals("tokenizer small is closed: it was used after close()"));
            ok &= good;
            System.err.printf("round %d: %d threads, %d calls, then: %s%s%n", round, threads, calls.get(), endings.getFirst(),
                    good ? "" : "  <-- WRONG " + endings);
        }
        System.exit(ok ? 0 : 1);
    }
}
