package io.multifd.api;

/**
 * A blocking operation did not make progress within its configured timeout: a connect, an
 * accept, a read that received nothing, a write the peer did not drain, or a peer that did not
 * answer at the end of the migration. The message names the channel, the operation and the
 * timeout. The migration fails.
 */
public class ChannelTimeoutException extends MultiFdException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message names the channel, what was being waited for, and how long
     */
    public ChannelTimeoutException(String message) {
        super(ProtocolCode.TIMEOUT, message);
    }

    /**
     * @param message names the channel, what was being waited for, and how long
     * @param cause   the exception the interrupted call threw (usually an asynchronous close)
     */
    public ChannelTimeoutException(String message, Throwable cause) {
        super(ProtocolCode.TIMEOUT, message, cause);
    }
}
