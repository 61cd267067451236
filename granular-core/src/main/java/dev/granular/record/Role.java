package dev.granular.record;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Who speaks a {@link Message}. The wire names are the lower-case names that chat templates
 * (and axolotl's {@code chat_template} loader) expect, so records feed straight into training.
 */
public enum Role {
    SYSTEM("system"),
    USER("user"),
    ASSISTANT("assistant"),
    /** A tool's output answering an assistant's tool call; never trained. */
    TOOL("tool");

    private final String wireName;

    Role(String wireName) {
        this.wireName = wireName;
    }

    /** The name written in JSON: {@code system}, {@code user}, {@code assistant} or {@code tool}. */
    public String wireName() {
        return wireName;
    }

    /**
     * The role with this exact (case-sensitive) wire name.
     *
     * @throws IllegalArgumentException naming the value and the allowed ones
     */
    public static Role fromWire(String name) {
        for (Role role : values()) {
            if (role.wireName.equals(name)) {
                return role;
            }
        }
        throw new IllegalArgumentException("unknown role \"" + name + "\" (allowed: " + allowed() + ")");
    }

    static String allowed() {
        return Arrays.stream(values()).map(Role::wireName).collect(Collectors.joining(", "));
    }
}
