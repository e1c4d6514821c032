package io.multifd.api;

/**
 * Thrown by every call that was blocked, or is made, after the migration failed; its
 * {@linkplain #getCause() cause} is the first error, whichever channel or thread saw it.
 *
 * <p>A new instance is thrown at each call site, so the stack trace shows where the caller was,
 * and the cause shows what went wrong first. {@link #code()} is the first error's code.
 */
public class MigrationFailedException extends MultiFdException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message    what the caller was doing, e.g. {@code "send failed"}
     * @param firstCause the first error of the migration
     */
    public MigrationFailedException(String message, Throwable firstCause) {
        super(firstCause instanceof MultiFdException m ? m.code() : ProtocolCode.FAILED,
                message + ": " + (firstCause.getMessage() != null ? firstCause.getMessage() : firstCause.toString()),
                firstCause);
    }
}
