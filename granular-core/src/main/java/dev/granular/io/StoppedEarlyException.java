package dev.granular.io;

/**
 * The run stopped before it finished but everything done so far is kept: a budget was
 * reached, or rows still fail after their retries. Rerunning the same command continues.
 * The CLI maps it to exit code 3.
 */
public class StoppedEarlyException extends RuntimeException {
    public StoppedEarlyException(String message) {
        super(message);
    }
}
