/**
 * The files granular writes and maps, for its commands: an output folder's lifecycle and manifest
 * ({@link dev.granular.files.OutputDirectory}, its run marker, overlap checks between inputs and
 * outputs), data shards ({@link dev.granular.files.ShardWriter}), atomic writes
 * ({@link dev.granular.files.AtomicFiles}), the Hugging Face card ({@link dev.granular.files.HubCard})
 * and memory-mapped corpus data ({@link dev.granular.files.MappedBlob}).
 *
 * <p>Not exported by the module granular.core: these are the CLI's machinery, public only for the
 * other granular packages. The errors users see stay in the API package {@code dev.granular.io}.
 */
package dev.granular.files;
