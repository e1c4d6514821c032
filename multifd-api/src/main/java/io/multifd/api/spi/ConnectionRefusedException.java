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

/**
 * Thrown by {@link TransportListener#accept(java.time.Duration)} when it accepted a connection and
 * closed it at once because the listener's own rule refuses the peer (for example a Unix domain
 * peer whose user is not on the allow-list). The listener stays open: the receiver records the
 * refusal as a dropped connection (logged once, named when the receiver later times out) and
 * goes on accepting. Any other exception from {@code accept} ends the receiver's accepting.
 */
public class ConnectionRefusedException extends IOException {

    private static final long serialVersionUID = 1L;

    /** The refused connection, for messages, such as {@code unix /run/m.sock (peer user 'bob')}. */
    private final String connection;

    /**
     * @param connection the refused connection's description
     * @param reason     why it was refused, without secrets
     */
    public ConnectionRefusedException(String connection, String reason) {
        super(reason);
        this.connection = connection;
    }

    /** The refused connection's description. */
    public String connection() {
        return connection;
    }
}
