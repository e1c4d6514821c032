package io.multifd.api;

/**
 * The receiver refused a channel's hello or the session manifest, and said why.
 *
 * <p>On the sender, {@code connect()} throws a {@link MigrationFailedException} whose
 * {@linkplain #getCause() cause} is this exception (the failure happened on a channel thread;
 * the wrapper carries the caller's stack). {@link #code()} names the refused field, for instance
 * {@link ProtocolCode#SESSION_MISMATCH} or {@link ProtocolCode#SETUP_REFUSED}, and the message
 * carries the receiver's explanation. Nothing was written to the destination memory.
 */
public class HandshakeRefusedException extends MultiFdException {

    private static final long serialVersionUID = 1L;

    private final int channel;

    /**
     * @param code    the refused field
     * @param channel the channel whose hello (or manifest, on channel 0) was refused
     * @param message the receiver's explanation
     */
    public HandshakeRefusedException(ProtocolCode code, int channel, String message) {
        super(code, message);
        this.channel = channel;
    }

    /** The channel whose hello or manifest was refused. */
    public int channel() {
        return channel;
    }
}
