package io.multifd.examples.cli;

/**
 * A mistake in the command line that the parser could not see (an image that does not exist, an
 * unknown codec, a page size that is not a power of two): reported as one line, exit status
 * {@value MultifdCommand#EXIT_USAGE}.
 */
public final class UsageException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message one line: what is wrong and what would be right
     */
    public UsageException(String message) {
        super(message);
    }
}
