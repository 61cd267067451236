/**
 * granular's library: records, corpora, tokenizers, chat templates, the IN2 design and the token export.
 * Only the packages below are API; the rest (teacher, erasure, self-correct, probe, judge, mix, report,
 * concurrent, ...) are the CLI's machinery and are not exported. See docs/library.md.
 */
module granular.core {
    exports dev.granular.corpus;
    exports dev.granular.export;
    exports dev.granular.in2;
    exports dev.granular.io;
    exports dev.granular.record;
    exports dev.granular.template;
    exports dev.granular.tokenize;

    requires com.fasterxml.jackson.databind;
    requires com.fasterxml.jackson.dataformat.yaml;
    requires com.networknt.schema;
    requires jtokkit;
    requires ai.djl.tokenizers;
    requires ai.djl.api;
    requires org.knowm.xchart;
    requires org.apache.commons.statistics.distribution;
    requires granular.parquet;
    requires java.net.http;
    requires java.sql;
    requires java.desktop;
    requires java.management;
}
