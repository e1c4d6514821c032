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
     * @throws ConnectionRefusedException if a connection arrived and the listener refused its peer
     *                                     (the listener stays open; call again for the next one)
     * @throws IOException on timeout (a {@link io.multifd.api.ChannelTimeoutException}), close, or failure
     */
    TransportChannel accept(Duration timeout) throws IOException;

    /** A short description, including the bound address, such as {@code tcp 127.0.0.1:5000}. */
    String description();
}
