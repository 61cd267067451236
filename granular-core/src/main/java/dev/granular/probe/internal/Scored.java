package dev.granular.probe.internal;

import dev.granular.probe.ProbeTask;

/**
 * One scored probe, the unit the report aggregates.
 *
 * @param task     the task
 * @param position the position (VAL) or depth index (needle)
 * @param set      the set (VAL) or length index (needle)
 * @param bin      the bin of the position
 * @param length   needle: the haystack length asked for; 0 otherwise
 * @param depthPercent needle: the depth asked for; 0 otherwise
 * @param score    0..1
 */
public record Scored(ProbeTask task, int position, int set, int bin, int length, int depthPercent, double score) {
}
