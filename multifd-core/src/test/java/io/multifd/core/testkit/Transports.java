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
package io.multifd.core.testkit;

import io.multifd.api.spi.TransportConnector;
import io.multifd.api.spi.TransportListener;
import io.multifd.core.transport.InMemoryTransport;
import io.multifd.core.transport.TcpTransport;
import io.multifd.core.transport.UnixTransport;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;

/** Makes a connected pair of connector and listener for each transport kind. */
public final class Transports {

    private Transports() {
    }

    /** The transport kinds tests run over. */
    public enum Kind { MEMORY, TCP, UNIX }

    /** A listener and the connector that reaches it. */
    public record Pair(TransportListener listener, TransportConnector connector, Path socketFile) {
    }

    /**
     * @param kind the transport
     * @return a fresh pair on loopback / a temporary socket file / memory
     */
    public static Pair open(Kind kind) throws IOException {
        switch (kind) {
            case MEMORY -> {
                InMemoryTransport t = InMemoryTransport.create();
                return new Pair(t.listener(), t.connector(), null);
            }
            case TCP -> {
                TcpTransport.Listener l = TcpTransport.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                return new Pair(l, TcpTransport.connector(l.localAddress()), null);
            }
            case UNIX -> {
                Path dir = Files.createTempDirectory("multifd-test");
                Path sock = dir.resolve("s.sock");
                dir.toFile().deleteOnExit();
                UnixTransport.Listener l = UnixTransport.listen(sock);
                return new Pair(l, UnixTransport.connector(sock), sock);
            }
            default -> throw new IllegalArgumentException(kind.toString());
        }
    }
}
