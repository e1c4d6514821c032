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

import java.io.EOFException;

/**
 * Thrown by {@link TransportConnector#connect} when the peer accepted the connection and closed
 * it before sending a single byte, during a handshake the transport runs itself (TLS). A
 * receiver does that to a connection beyond its cap on connections still proving themselves
 * ({@code MultiFdConfig.maxPendingConnections}): a port scan or stalled strays can fill it for
 * up to the handshake timeout. The sender then connects again, with a growing pause, until its
 * connect timeout; any other failure of {@code connect} is final.
 *
 * <p>A transport without a handshake of its own never throws it: the sender notices the same
 * case itself when the receiver closes before answering the hello.
 */
public class ConnectionDroppedException extends EOFException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what was dropped and by whom, for example {@code TLS handshake with tcp
     *                127.0.0.1:5000: the receiver closed the connection before answering}
     */
    public ConnectionDroppedException(String message) {
        super(message);
    }
}
