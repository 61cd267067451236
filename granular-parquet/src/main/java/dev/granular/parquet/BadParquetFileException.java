package dev.granular.parquet;

/**
 * A Parquet file that cannot be used: not Parquet, damaged, or without the wanted column. The message
 * says what, without the file's name (the caller knows it and adds it in its own error type).
 */
public final class BadParquetFileException extends RuntimeException {
    public BadParquetFileException(String message) {
        super(message);
    }
}
