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
