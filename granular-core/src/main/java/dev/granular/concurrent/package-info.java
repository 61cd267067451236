/**
 * Worker pools whose {@link dev.granular.concurrent.WorkerPool#close() close} joins every worker, so
 * a job never frees a resource (a native tokenizer above all) that a worker can still call.
 */
package dev.granular.concurrent;
