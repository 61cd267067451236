/**
 * granular's stages as Apache Spark jobs. From files to an output folder: {@link dev.granular.spark.SparkTokenExport#run},
 * {@link dev.granular.spark.SparkDedup#run}, {@link dev.granular.spark.SparkIn2#run}. From a DataFrame of records
 * ({@link dev.granular.spark.RecordFrame}) to DataFrames: {@link dev.granular.spark.SparkTokenExport#tokens}
 * ({@link dev.granular.spark.TokenFrame}) and {@link dev.granular.spark.SparkDedup#dedup}
 * ({@link dev.granular.spark.DedupFrame}).
 */
package dev.granular.spark;
