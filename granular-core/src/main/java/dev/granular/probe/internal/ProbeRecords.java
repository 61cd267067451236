package dev.granular.probe.internal;

import dev.granular.in2.PromptTemplate;
import dev.granular.probe.Needle;
import dev.granular.probe.ProbeConfig;
import dev.granular.probe.ProbeTask;
import dev.granular.record.Message;
import dev.granular.record.TrainingRecord;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Probes as canonical records: the user message is the context and the question through the
 * template, with no assistant message (the model under test writes it), and {@code meta}
 * carries everything the scorer and the plots need, so scoring never re-reads the pieces.
 */
public final class ProbeRecords {
    private ProbeRecords() {
    }

    public static TrainingRecord val(ProbeTask task, ProbeSet set, String context, ProbeSet.Target t, ProbeConfig cfg) {
        Item item = set.items().get(t.item());
        String user = cfg.template().fill(context, item.question()).content();
        Map<String, Object> meta = meta(task, t.position(), set.set(), cfg.binOf(t.position()), t.depth(), set.contextTokens(),
                item.gold());
        String id = String.format(Locale.ROOT, "probe-%s-%d-%05d", task.id(), set.set(), t.position());
        return new TrainingRecord(id, List.of(Message.user(user)), null, meta);
    }

    public static TrainingRecord needle(NeedleBuilder.Haystack h, Needle needle, PromptTemplate template, int depthIndex,
                                        int lengthIndex, int length, int depthPercent) {
        String user = template.fill(h.context(), needle.question()).content();
        Map<String, Object> meta = meta(ProbeTask.NEEDLE, depthIndex, lengthIndex, depthIndex, h.depth(), h.contextTokens(),
                needle.answer());
        meta.put("length", length);
        meta.put("depth_percent", depthPercent);
        String id = String.format(Locale.ROOT, "probe-needle-%d-%03d", length, depthPercent);
        return new TrainingRecord(id, List.of(Message.user(user)), null, meta);
    }

    private static Map<String, Object> meta(ProbeTask task, int position, int set, int bin, double depth, int contextTokens,
                                            Object gold) {
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("design", "probe");
        meta.put("task", task.id());
        meta.put("position", position);
        meta.put("set", set);
        meta.put("bin", bin);
        meta.put("depth", Math.round(depth * 1e6) / 1e6);
        meta.put("context_tokens", contextTokens);
        meta.put("gold", gold);
        return meta;
    }

    /** Reads the scoring fields back from a probe's meta. */
    public static Scored scored(Map<String, Object> meta, double score) {
        ProbeTask task = ProbeTask.parse((String) meta.get("task"));
        return new Scored(task, num(meta, "position"), num(meta, "set"), num(meta, "bin"),
                task == ProbeTask.NEEDLE ? num(meta, "length") : 0, task == ProbeTask.NEEDLE ? num(meta, "depth_percent") : 0, score);
    }

    private static int num(Map<String, Object> meta, String key) {
        return ((Number) meta.get(key)).intValue();
    }
}
