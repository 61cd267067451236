/**
 * granular's library: records, corpora, tokenizers, chat templates, the IN2 design, the teacher designs (Prompt
 * Erasure's distill and erase, self-correction, generate), the lost-in-the-middle evaluation (probe and eval), the
 * token export, dedup and the mix of a recipe (see docs/library.md,
 * docs/dedup.md). Only the API packages are exported, and in them only what a user of docs/library.md names is
 * public: the surface is pinned in granular-core/api-surface.txt (ApiSurfaceTest fails when it changes unnoticed, or
 * when an API member names a type of a package that is not exported). Not exported: each API package's internals
 * ({@code <package>.internal}: corpus.internal's n-gram decontaminator, dedup.internal's content digest,
 * export.internal's packing plan, record.internal's JSONL reader, in2.internal's segment store, questions, report and
 * engine pieces, teacher.internal's LLM client, cache, journals and batch machinery, erasure.internal's and
 * selfcorrect.internal's task readers, steps and reports, probe.internal's probe builders, scorers and reports), the
 * file jobs and readers behind the CLI's commands (corpus.reader, export.job, dedup.job, bench) and the CLI's machinery
 * (judge, report, concurrent, files). The disk-to-disk jobs that are API are in exported packages: In2Job,
 * DedupJob, TokenExportJob, ExportJob, DistillJob, EraseJob, SelfCorrectJob, GenerateJob, ProbeJob, EvalJob and MixJob; each runs its
 * internal counterpart (e.g. erasure.internal.DistillRun, probe.internal.EvalRun).
 *
 * <p>The IN2 engine interface that granular-spark implements on the class path is in in2.internal (In2Engine, run
 * through In2Engines, with In2Segments, In2Draw, In2Assembly, In2General): In2Job, In2Design and In2 reach it, and it
 * them, through an accessor In2Job registers (see In2Engines), not through public members.
 *
 * <p>Why no qualified exports ({@code exports dev.granular.teacher to granular.cli}): the CLI and
 * granular-spark run on the class path, where this descriptor is ignored and every public type is
 * reachable as before; a qualified export would only matter to a modular CLI, which does not exist.
 *
 * <p>Why {@code granular.parquet}: parquet-java's jars split packages, so they can be neither modules
 * nor read by a named module. granular-parquet is an automatic module (a manifest name, no descriptor)
 * and so reads the class path, where parquet must sit; its signatures carry no parquet type.
 *
 * <p>Why {@code granular.tiktoken}: jtokkit 1.1.0 (o200k_base, cl100k_base) declares no module name, so
 * {@code requires jtokkit} would name a module after a jar file, which Maven warns must not be published
 * ("filename-based automodules"). granular-tiktoken wraps the little of jtokkit that the tokenizer uses
 * and is an automatic module with a manifest name, like granular-parquet: jtokkit stays on the class path.
 */
module granular.core {
    exports dev.granular.corpus;
    exports dev.granular.dedup;
    exports dev.granular.erasure;
    exports dev.granular.export;
    exports dev.granular.in2;
    exports dev.granular.io;
    exports dev.granular.mix;
    exports dev.granular.probe;
    exports dev.granular.record;
    exports dev.granular.selfcorrect;
    exports dev.granular.teacher;
    exports dev.granular.template;
    exports dev.granular.tokenize;

    // RecordJson's public methods take Jackson's JsonNode: users get Jackson with us.
    requires transitive com.fasterxml.jackson.databind;
    requires com.fasterxml.jackson.dataformat.yaml;
    requires com.networknt.schema;
    requires ai.djl.tokenizers;     // automatic (Automatic-Module-Name)
    requires ai.djl.api;
    requires org.knowm.xchart;      // automatic (Automatic-Module-Name)
    requires org.apache.commons.statistics.distribution;
    requires granular.parquet;      // automatic, see above
    requires granular.tiktoken;     // automatic, see above
    requires java.net.http;
    requires java.sql;              // the teacher's reply cache (SQLite, found through java.sql.Driver)
    requires java.desktop;          // charts (java.awt)
    requires java.management;
}
