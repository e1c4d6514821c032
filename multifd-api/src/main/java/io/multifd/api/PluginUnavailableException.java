package io.multifd.api;

/**
 * A plug-in that the configuration selects cannot be used: no provider with that name or id is
 * on the class path or module path, or its native library failed to load (the cause is the
 * original {@link LinkageError}). Other plug-ins keep working.
 */
public class PluginUnavailableException extends MultiFdException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message names the plug-in and why it is unavailable
     * @param cause   the original failure, or {@code null}
     */
    public PluginUnavailableException(String message, Throwable cause) {
        super(ProtocolCode.UNKNOWN_CODEC, message, cause);
    }
}
