package io.multifd.api.spi;

import java.io.IOException;
import java.time.Duration;

/**
 * The sender's side of a transport: opens one channel per channel id. Thread-safe: the channel
 * threads connect in parallel.
 */
public interface TransportConnector {

    /**
     * Opens a connection for one channel, retrying a refused connection until {@code timeout}.
     *
     * @param channelId the channel the connection is for (a transport may use it, e.g. to pick
     *                  a pipe; TCP ignores it)
     * @param timeout   how long to try
     * @return the connected channel, owned by the caller
     * @throws IOException if it cannot connect within the timeout (a
     *                     {@link io.multifd.api.ChannelTimeoutException}), is interrupted (a
     *                     {@link java.io.InterruptedIOException}) or fails otherwise
     */
    TransportChannel connect(int channelId, Duration timeout) throws IOException;

    /** A short description for messages, such as {@code tcp 127.0.0.1:5000}. */
    String description();
}
