package io.multifd.examples.cli;

/**
 * A command failed and already knows its exit status: for instance {@code demo}, whose child
 * {@code send} or {@code recv} exited with a status that names the failure. Reported as one line,
 * like any failure; {@link ExitStatus#of(Throwable)} returns {@link #status()}.
 */
public final class CommandFailedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;

    /**
     * @param status  the exit status, one of {@link ExitStatus}'s
     * @param message one line: what failed
     */
    public CommandFailedException(int status, String message) {
        super(message);
        this.status = status;
    }

    /** The exit status this failure stands for. */
    public int status() {
        return status;
    }
}
