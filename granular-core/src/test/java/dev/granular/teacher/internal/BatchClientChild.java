package dev.granular.teacher.internal;

import dev.granular.teacher.ModelSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A second process for {@link BatchDispatcherTest}'s kill -9 tests: asks {@code N} requests ({@code row I}) of
 * {@code SPEC} in batch mode (at most {@code MAX} a batch), journalling in {@code DIR/.granular}, and prints
 * {@code ok I} for each reply, so the test can kill it at a known point.
 */
public final class BatchClientChild {
    private BatchClientChild() {
    }

    public static void main(String[] args) throws Exception {
        ModelSpec spec = ModelSpec.parse(args[0], null);
        Path dir = Path.of(args[1]);
        int n = Integer.parseInt(args[2]);
        int max = Integer.parseInt(args[3]);
        try (PaidRepliesFile replies = PaidRepliesFile.open(dir.resolve(".granular/replies.jsonl"), "run", FileWrites.DIRECT);
             LlmClient client = BatchDispatcherTest.client(spec, replies, ResponseCache.NONE,
                     new CostMeter(PriceTable.of(Map.of(), "test")), max, null)) {
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int row = i;
                threads.add(Thread.ofVirtual().start(() -> {
                    try {
                        Outcome o = client.complete(BatchDispatcherTest.request(row));
                        if (o instanceof Outcome.Ok) {
                            synchronized (System.out) {
                                System.out.println("ok " + row);
                                System.out.flush();
                            }
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
        }
    }
}
