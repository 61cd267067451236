/**
 * Parquet for granular without Hadoop: {@link dev.granular.parquet.ParquetTextFile} reads a text column
 * (corpora), {@link dev.granular.parquet.IntListParquetWriter} writes int-list columns (token exports),
 * {@link dev.granular.parquet.ParquetCodecs} compresses pages with snappy-java, zstd-jni and the JDK.
 *
 * <p>Why a jar of its own: parquet-java's jars split packages, so they cannot be modules, and the named
 * module granular.core cannot read the class path. This jar is the automatic module
 * {@code granular.parquet} (a manifest name, no descriptor), which reads the class path; its public
 * signatures hold no parquet type, so granular.core can require it. See docs/library.md.
 */
package dev.granular.parquet;
