/**
 * Reusable pieces for the report every granular command writes next to its dataset:
 * {@code DIR/report/summary.json} ({@link dev.granular.report.Json}), histograms of lengths and
 * positions ({@link dev.granular.report.Histogram}), a uniformity check for position
 * distributions ({@link dev.granular.report.Uniformity}) and the PNG plots the dataset card embeds
 * ({@link dev.granular.report.Charts}). Every file is written atomically, so a reader never sees a
 * half-written report.
 */
package dev.granular.report;
