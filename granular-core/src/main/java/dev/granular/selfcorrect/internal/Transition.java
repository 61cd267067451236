package dev.granular.selfcorrect.internal;

/** Where an example goes from (the initial answer) and to (what it ends with), as written in {@code meta.transition}. */
public enum Transition {
    /** Right, confirmed right: a good case. */
    R_TO_R("R→R"),
    /** Wrong, corrected to right: a bad case. */
    W_TO_R("W→R"),
    /** Wrong, and the correction still wrong: dropped, only counted. */
    W_TO_W("W→W");

    private final String label;

    Transition(String label) {
        this.label = label;
    }

    /** {@code R→R}, {@code W→R} or {@code W→W}. */
    public String label() {
        return label;
    }
}
