package io.multifd.api.spi;

import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;

/**
 * The receiver's side of a transport: accepts connections. {@link #accept(Duration)} is called
 * from one thread; {@link #close()} from any thread, and makes a blocked accept return with an
 * exception. Closing releases the address (a Unix socket file is removed).
 */
public interface TransportListener extends Closeable {

    /**
     * Waits for the next connection.
     *
     * @param timeout how long to wait
     * @return the connected channel, owned by the caller
     * @throws IOException on timeout (a {@link io.multifd.api.ChannelTimeoutException}), close, or failure
     */
    TransportChannel accept(Duration timeout) throws IOException;

    /** A short description, including the bound address, such as {@code tcp 127.0.0.1:5000}. */
    String description();
}
