package example;

import dev.granular.corpus.Corpus;
import dev.granular.in2.In2;
import dev.granular.in2.In2Config;
import dev.granular.record.RecordJson;
import dev.granular.record.TrainingRecord;
import dev.granular.tokenize.Tokenizer;
import dev.granular.tokenize.Tokenizers;
import java.util.List;
import java.util.stream.Stream;

/** docs/library.md's first example, as a module: IN2 records from the bundled corpus, as JSONL lines. */
public final class Main {
    public static List<String> in2Lines(int examples) {
        In2Config config = In2Config.DEFAULT.withExamples(examples).withContext(1024, 2048).withSeed(7);
        try (Tokenizer tokenizer = Tokenizers.builtin("o200k_base");
             Stream<TrainingRecord> records = In2.of(config).records(Corpus.bundled(), tokenizer)) {
            return records.map(RecordJson::toJson).toList();
        }
    }

    public static void main(String[] args) {
        in2Lines(3).forEach(System.out::println);
    }
}
