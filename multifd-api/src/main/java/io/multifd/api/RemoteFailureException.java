package io.multifd.api;

/**
 * The peer reported that the migration failed on its side, with its first cause as text.
 *
 * <p>On the sender this is the receiver's ERROR reply (for instance a payload plug-in that
 * refused a packet, or a device loader that threw); on the receiver it is the sender's ABORT.
 * {@link #code()} is the peer's code for the failure.
 */
public class RemoteFailureException extends MultiFdException {

    private static final long serialVersionUID = 1L;

    /**
     * @param code    the peer's code for the failure
     * @param message the peer's description, prefixed by who reported it
     */
    public RemoteFailureException(ProtocolCode code, String message) {
        super(code, message);
    }
}
