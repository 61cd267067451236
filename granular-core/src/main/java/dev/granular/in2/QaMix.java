package dev.granular.in2;

import dev.granular.io.InvalidConfigException;
import dev.granular.report.Numbers;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Who writes the questions: {@code programmatic} (checkable rules, no LLM), {@code teacher}
 * (an LLM following IN2's rules), or a mixture such as {@code teacher=0.7,programmatic=0.3}.
 *
 * @param teacher the share of examples whose question a teacher writes, in [0, 1]
 */
public record QaMix(double teacher) implements java.io.Serializable {
    public static final QaMix PROGRAMMATIC = new QaMix(0);

    public QaMix {
        if (!(teacher >= 0 && teacher <= 1)) {
            throw new InvalidConfigException("${qaMix}: the teacher share must be between 0 and 1, got " + teacher);
        }
    }

    public static QaMix parse(String spec) {
        String s = spec.trim();
        if (s.equals("programmatic")) {
            return PROGRAMMATIC;
        }
        if (s.equals("teacher")) {
            return new QaMix(1);
        }
        Map<String, Double> shares = new LinkedHashMap<>();
        for (String part : s.split(",")) {
            int eq = part.indexOf('=');
            if (eq < 0) {
                throw new InvalidConfigException("${qaMix}: expected programmatic, teacher, or teacher=SHARE,programmatic=SHARE; got '" + spec + "'");
            }
            String name = part.substring(0, eq).trim();
            if (!name.equals("teacher") && !name.equals("programmatic")) {
                throw new InvalidConfigException("${qaMix}: unknown question writer '" + name + "' (teacher or programmatic)");
            }
            try {
                shares.put(name, Double.parseDouble(part.substring(eq + 1).trim()));
            } catch (NumberFormatException e) {
                throw new InvalidConfigException("${qaMix}: share of " + name + " is not a number: '" + part.substring(eq + 1) + "'");
            }
        }
        double sum = shares.values().stream().mapToDouble(Double::doubleValue).sum();
        if (Math.abs(sum - 1) > 1e-6) {
            throw new InvalidConfigException("${qaMix}: shares must sum to 1, they sum to " + Numbers.human(sum));
        }
        return new QaMix(shares.getOrDefault("teacher", 0.0));
    }

    public boolean usesTeacher() {
        return teacher > 0;
    }

    /** Whether this example's question is the teacher's: one draw from the example's own random stream. */
    boolean teacherWrites(SplittableRandom rnd) {
        return teacher >= 1 || (teacher > 0 && rnd.nextDouble() < teacher);
    }

    @Override
    public String toString() {
        return teacher == 0 ? "programmatic" : teacher == 1 ? "teacher" : "teacher=" + teacher + ",programmatic=" + (1 - teacher);
    }
}
