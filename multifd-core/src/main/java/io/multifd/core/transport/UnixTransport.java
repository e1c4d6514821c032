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
package io.multifd.core.transport;

import io.multifd.api.spi.TransportChannel;
import io.multifd.api.spi.TransportConnector;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Unix domain socket channels (JDK 16+ {@link SocketChannel}s of family UNIX): for a sender and
 * receiver on the same host. The listener creates the socket file and removes it when closed
 * (which the receiver does once every channel has connected, or on failure).
 */
public final class UnixTransport {

    private UnixTransport() {
    }

    /**
     * A connector to the socket file {@code path}; a missing file or a refused connection is
     * retried until the connect timeout.
     *
     * @param path the socket file
     * @return the connector; thread-safe
     */
    public static TransportConnector connector(Path path) {
        Objects.requireNonNull(path, "path");
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(path);
        return new TransportConnector() {
            @Override
            public TransportChannel connect(int channelId, Duration timeout) throws IOException {
                return Retry.connect("unix " + path, timeout.toNanos(), left -> {
                    SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                    try {
                        ch.connect(address);
                        return new SocketTransportChannel(ch, "unix " + path + " (channel " + channelId + ")");
                    } catch (SocketException e) {
                        ch.close();
                        if (!Files.exists(path)) { // the JDK says "No such file or directory": not listening yet
                            throw new NoSuchFileException(path.toString(), null, "no socket file yet: " + e.getMessage());
                        }
                        throw e;
                    } catch (IOException | RuntimeException e) {
                        ch.close();
                        throw e;
                    }
                });
            }

            @Override
            public String description() {
                return "unix " + path;
            }

            @Override
            public String toString() {
                return description();
            }
        };
    }

    /**
     * Creates the socket file and listens on it.
     *
     * @param path the socket file; must not exist (a leftover file is not removed for you: it
     *             may belong to a running receiver)
     * @return the listener; closing it removes the file
     * @throws UncheckedIOException if the file exists or cannot be created, naming the path
     */
    public static Listener listen(Path path) {
        Objects.requireNonNull(path, "path");
        if (Files.exists(path)) {
            throw new UncheckedIOException(new IOException("cannot listen on unix " + path
                    + ": the file exists (another receiver, or a leftover: remove it first)"));
        }
        ServerSocketChannel server = null;
        try {
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(path), 256);
            return new Listener(server, path);
        } catch (IOException e) {
            if (server != null) {
                try {
                    server.close();
                } catch (IOException ignored) {
                    // reported below
                }
            }
            throw new UncheckedIOException("cannot listen on unix " + path + ": " + e.getMessage(), e);
        }
    }

    /** A listening Unix domain socket; {@link #close()} removes its file. */
    public static final class Listener extends SocketListener {
        private final Path path;

        private Listener(ServerSocketChannel server, Path path) throws IOException {
            super(server, "unix", ch -> "unix " + path);
            this.path = path;
        }

        /** The socket file. */
        public Path path() {
            return path;
        }

        @Override
        void released() {
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                System.getLogger(UnixTransport.class.getName()).log(System.Logger.Level.WARNING,
                        "could not remove socket file " + path + ": " + e);
            }
        }

        @Override
        String addressText() {
            return path.toString();
        }
    }
}
