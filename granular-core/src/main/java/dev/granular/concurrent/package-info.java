/**
 * Worker pools whose {@link dev.granular.concurrent.WorkerPool#close() close} joins every worker, so
 * a job never frees a resource (a native tokenizer above all) that a worker can still call; and the
 * {@link dev.granular.concurrent.InFlightWindow window} through which the teacher jobs send their rows, so that
 * they all bound, stop and resume alike.
 */
package dev.granular.concurrent;
