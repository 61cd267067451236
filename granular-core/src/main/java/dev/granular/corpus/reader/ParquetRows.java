package dev.granular.corpus.reader;

import dev.granular.corpus.reader.CorpusReader;
import dev.granular.corpus.reader.CorpusStats;
import dev.granular.corpus.reader.StrictUtf8;
import dev.granular.io.BadInputException;
import dev.granular.parquet.BadParquetFileException;
import dev.granular.parquet.ParquetTextFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * The rows of one Parquet file for {@link CorpusReader}. The Parquet decoding itself is in
 * granular-parquet ({@link ParquetTextFile}), the only granular jar that touches parquet's classes:
 * parquet's jars split packages, so the named module granular.core cannot read them (see
 * granular-parquet/pom.xml). Here: UTF-8 checks, bad-row policy and document ids.
 */
final class ParquetRows {
    private ParquetRows() {
    }

    static void read(CorpusReader.Source source, String field, CorpusReader.Pass pass) {
        Path file = source.file();
        try {
            ParquetTextFile.read(file, field, (row, text, id) -> readRow(source, field, pass, row, text, id));
        } catch (BadParquetFileException e) {
            throw new BadInputException(file, 0, e.getMessage());
        } catch (IOException e) {
            throw CorpusReader.cannotRead(file, e);
        }
    }

    private static void readRow(CorpusReader.Source source, String field, CorpusReader.Pass pass,
                                long row, ByteBuffer value, String id) {
        String file = source.file().toString();
        String where = "row " + row + ": ";
        if (value == null) {
            pass.bad(CorpusStats.MISSING_FIELD, file, 0, where + "text column \"" + field + "\" is null");
            return;
        }
        String text;
        try {
            text = pass.utf8().decode(value);
        } catch (StrictUtf8.InvalidUtf8Exception e) {
            pass.bad(CorpusStats.INVALID_UTF8, file, 0, where + "invalid UTF-8 at byte "
                    + (e.offset + 1) + " of column \"" + field + "\"");
            return;
        }
        String docId = id;
        if (docId == null || docId.isEmpty()) {
            docId = source.relative() + "#" + row;
        }
        pass.emit(docId, text, file + "#" + row, file, 0, where);
    }
}
