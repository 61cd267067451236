/**
 * granular's stages as Apache Spark jobs. From files to an output folder: {@link dev.granular.spark.SparkTokenExport#run},
 * {@link dev.granular.spark.SparkDedup#run}, {@link dev.granular.spark.SparkIn2#run}. From a DataFrame of records
 * ({@link dev.granular.spark.RecordFrame}) to DataFrames: {@link dev.granular.spark.SparkTokenExport#tokens}
 * ({@link dev.granular.spark.TokenFrame}) and {@link dev.granular.spark.SparkDedup#dedup}
 * ({@link dev.granular.spark.DedupFrame}). From a DataFrame of documents ({@link dev.granular.spark.CorpusFrame}) to an IN2
 * output folder and a DataFrame of examples: {@link dev.granular.spark.SparkIn2#run} and
 * {@link dev.granular.spark.SparkIn2#examples} with {@code SparkIn2.Spec.of(corpusFrame, config, out)}.
 */
package dev.granular.spark;
