/*
 * Copyright The multifd-java authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     https://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */
package io.multifd.api.spi;

import java.io.IOException;
import java.nio.channels.ByteChannel;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.ScatteringByteChannel;

/**
 * One connected, bidirectional, blocking byte channel: what a multifd channel runs on.
 *
 * <p>Reads and writes block until at least one byte moved (reads return -1 at end of stream).
 * One thread may read while another writes; at most one read and one write are in progress at
 * a time. {@link #close()} may be called from any thread at any time and must make a blocked
 * read or write return promptly with an exception: the core's watchdog relies on that to bound
 * every blocking call.
 */
public interface TransportChannel extends ByteChannel, ScatteringByteChannel, GatheringByteChannel {

    /** A short description for messages, such as {@code tcp 127.0.0.1:41234 -> 127.0.0.1:5000}. */
    String description();

    /**
     * Ends the outbound direction (the peer reads end of stream) while reads continue.
     *
     * @throws IOException if it fails
     */
    default void shutdownOutput() throws IOException {
    }

    /**
     * Called by a receiver once this accepted connection's hello was accepted into its session,
     * before the channel carries any data, on the thread that read the hello. A transport that
     * authenticates its peer refuses here what it can only decide knowing that this connection
     * joins the session (TLS: every channel of a session presents the identity of the first one
     * admitted, not of the first one that merely completed a handshake). The receiver then drops
     * the connection, logs the reason and goes on accepting. The default accepts.
     *
     * @throws IOException naming why the connection may not join the session
     */
    default void admitted() throws IOException {
    }
}
