package dev.granular.teacher.internal;

import java.nio.file.Path;

/**
 * A process for {@link JournalTest} to kill: appends successes with {@code PAD}-character records
 * to the journal at {@code FILE} forever, printing each index once {@link Journal#success} returned.
 */
public final class JournalWriterChild {
    private JournalWriterChild() {
    }

    public static void main(String[] args) {
        String pad = "y".repeat(Integer.parseInt(args[1]));
        try (Journal j = Journal.open(Path.of(args[0]))) {
            for (long i = 0; ; i++) {
                j.success(i, "{\"id\":" + i + ",\"pad\":\"" + pad + "\"}");
                System.out.println(i);
                System.out.flush();
            }
        }
    }
}
