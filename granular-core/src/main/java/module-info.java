/**
 * granular's library: records, corpora, tokenizers, chat templates, the IN2 design, the token export and
 * dedup (see docs/library.md, docs/dedup.md). Only the API packages are exported; the CLI's machinery
 * (teacher, erasure, selfcorrect, probe, judge, mix, report, concurrent, ...) is not, nor are the file
 * jobs and readers behind the API's commands (corpus.reader, export.job, dedup.job, bench).
 *
 * <p>Why no qualified exports ({@code exports dev.granular.teacher to granular.cli}): the CLI and
 * granular-spark run on the class path, where this descriptor is ignored and every public type is
 * reachable as before; a qualified export would only matter to a modular CLI, which does not exist.
 *
 * <p>Why {@code granular.parquet}: parquet-java's jars split packages, so they can be neither modules
 * nor read by a named module. granular-parquet is an automatic module (a manifest name, no descriptor)
 * and so reads the class path, where parquet must sit; its signatures carry no parquet type.
 */
module granular.core {
    exports dev.granular.corpus;
    exports dev.granular.dedup;
    exports dev.granular.export;
    exports dev.granular.in2;
    exports dev.granular.io;
    exports dev.granular.record;
    exports dev.granular.template;
    exports dev.granular.tokenize;

    // RecordJson's and JsonlInput's public methods take Jackson's JsonNode: users get Jackson with us.
    requires transitive com.fasterxml.jackson.databind;
    requires com.fasterxml.jackson.dataformat.yaml;
    requires com.networknt.schema;
    requires jtokkit;               // automatic: jtokkit 1.1.0 declares no module name, so the jar name gives it
    requires ai.djl.tokenizers;     // automatic (Automatic-Module-Name)
    requires ai.djl.api;
    requires org.knowm.xchart;      // automatic (Automatic-Module-Name)
    requires org.apache.commons.statistics.distribution;
    requires granular.parquet;      // automatic, see above
    requires java.net.http;
    requires java.sql;              // the teacher's reply cache (SQLite, found through java.sql.Driver)
    requires java.desktop;          // charts (java.awt)
    requires java.management;
}
