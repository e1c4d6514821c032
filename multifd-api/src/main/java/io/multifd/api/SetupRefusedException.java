package io.multifd.api;

/**
 * A receiving payload plug-in refused its setup record from the session manifest: for instance
 * a RAM block whose name is unknown, whose length or page size differs from the registered
 * destination, or which exceeds the receiver's size limit. Thrown by the plug-in on the receiver;
 * the sender sees it as a {@link HandshakeRefusedException} with code
 * {@link ProtocolCode#SETUP_REFUSED} and the same message.
 */
public class SetupRefusedException extends MultiFdException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message names the payload type, the field and the value refused
     */
    public SetupRefusedException(String message) {
        super(ProtocolCode.SETUP_REFUSED, message);
    }

    /**
     * @param message names the payload type, the field and the value refused
     * @param cause   the underlying exception, or {@code null}
     */
    public SetupRefusedException(String message, Throwable cause) {
        super(ProtocolCode.SETUP_REFUSED, message, cause);
    }
}
