package dev.granular.teacher.internal;

import java.util.AbstractMap;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The environment a job reads its API keys from, as the job specs hold it: an unmodifiable copy that equals any map
 * of the same variables, but whose {@link #toString()} shows no value. A record's generated {@code toString} prints
 * every component, so without this a spec that reaches a log line ({@code log.info("running {}", spec)}), an
 * exception message or a debugger's summary would print {@code OPENAI_API_KEY=sk-...}: secrets never reach logs.
 */
public final class HiddenEnvironment extends AbstractMap<String, String> {
    private final Map<String, String> variables;

    private HiddenEnvironment(Map<String, String> variables) {
        this.variables = variables;
    }

    /** {@code env} held so that printing it shows no value; null is the empty environment. */
    public static Map<String, String> of(Map<String, String> env) {
        if (env instanceof HiddenEnvironment hidden) {
            return hidden;   // a wither copying a spec keeps the same map
        }
        return new HiddenEnvironment(env == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(env)));
    }

    @Override
    public Set<Entry<String, String>> entrySet() {
        return variables.entrySet();
    }

    @Override
    public String get(Object key) {
        return variables.get(key);
    }

    @Override
    public boolean containsKey(Object key) {
        return variables.containsKey(key);
    }

    @Override
    public int size() {
        return variables.size();
    }

    /** How many variables, never their values (nor their names, which may say which keys a user has). */
    @Override
    public String toString() {
        return "{" + variables.size() + " environment variables, not shown}";
    }
}
