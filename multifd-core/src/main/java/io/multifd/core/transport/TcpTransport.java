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
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Objects;

/**
 * TCP channels: blocking {@link SocketChannel}s with {@code TCP_NODELAY}, one connection per
 * multifd channel, all to the same address. The kernel's buffer autotuning is left alone unless
 * a buffer size is given.
 *
 * <pre>{@code
 * TcpTransport.Listener listener = TcpTransport.listen(new InetSocketAddress("127.0.0.1", 0));
 * int port = listener.localAddress().getPort();
 * TransportConnector connector = TcpTransport.connector(new InetSocketAddress("127.0.0.1", port));
 * }</pre>
 */
public final class TcpTransport {

    private TcpTransport() {
    }

    /**
     * A connector to {@code address}; a refused connection is retried until the connect timeout
     * (so a receiver that is still starting is waited for).
     *
     * @param address the receiver's address
     * @return the connector; thread-safe
     */
    public static TransportConnector connector(InetSocketAddress address) {
        return connector(address, 0);
    }

    /**
     * A connector with explicit socket buffer sizes.
     *
     * @param address    the receiver's address
     * @param bufferSize SO_SNDBUF and SO_RCVBUF in bytes, or 0 for the system's autotuning
     * @return the connector; thread-safe
     * @throws IllegalArgumentException if the buffer size is negative, or the host unresolved
     */
    public static TransportConnector connector(InetSocketAddress address, int bufferSize) {
        Objects.requireNonNull(address, "address");
        if (bufferSize < 0) {
            throw new IllegalArgumentException("bufferSize must be 0 (the system's autotuning) or positive: "
                    + bufferSize);
        }
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("cannot resolve host '" + address.getHostString() + "'");
        }
        return new TransportConnector() {
            @Override
            public TransportChannel connect(int channelId, Duration timeout) throws IOException {
                return Retry.connect("tcp " + text(address), timeout.toNanos(), left -> {
                    SocketChannel ch = SocketChannel.open();
                    try {
                        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                        if (bufferSize > 0) {
                            ch.setOption(StandardSocketOptions.SO_SNDBUF, bufferSize);
                            ch.setOption(StandardSocketOptions.SO_RCVBUF, bufferSize);
                        }
                        ch.socket().connect(address, (int) Math.max(1, Math.min(Integer.MAX_VALUE, left / 1_000_000)));
                        return new SocketTransportChannel(ch, "tcp " + text((InetSocketAddress) ch.getLocalAddress())
                                + " -> " + text(address));
                    } catch (IOException | RuntimeException e) {
                        ch.close();
                        throw e;
                    }
                });
            }

            @Override
            public String description() {
                return "tcp " + text(address);
            }

            @Override
            public String toString() {
                return description();
            }
        };
    }

    /**
     * Binds a listener. Port 0 picks a free port: read it back with {@link Listener#localAddress()}.
     *
     * @param address where to listen
     * @return the listener, owned by the caller (or by the receiver it is given to)
     * @throws UncheckedIOException if the address cannot be bound (for instance the port is in use),
     *                              with the address in the message
     */
    public static Listener listen(InetSocketAddress address) {
        return listen(address, 0);
    }

    /**
     * Binds a listener with explicit socket buffer sizes for accepted channels.
     *
     * @param address    where to listen
     * @param bufferSize SO_RCVBUF/SO_SNDBUF in bytes, or 0 for autotuning
     * @return the listener
     * @throws UncheckedIOException if the address cannot be bound
     */
    public static Listener listen(InetSocketAddress address, int bufferSize) {
        Objects.requireNonNull(address, "address");
        ServerSocketChannel server = null;
        try {
            server = ServerSocketChannel.open();
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            if (bufferSize > 0) {
                server.setOption(StandardSocketOptions.SO_RCVBUF, bufferSize);
            }
            server.bind(address, 256);
            return new Listener(server, bufferSize);
        } catch (IOException e) {
            if (server != null) {
                try {
                    server.close();
                } catch (IOException ignored) {
                    // reported below
                }
            }
            throw new UncheckedIOException("cannot listen on tcp " + text(address) + ": " + e.getMessage(), e);
        }
    }

    static String text(InetSocketAddress a) {
        String host = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    /** A bound TCP listener. */
    public static final class Listener extends SocketListener {
        private final int bufferSize;
        private final InetSocketAddress bound;

        private Listener(ServerSocketChannel server, int bufferSize) throws IOException {
            super(server, "tcp", ch -> {
                try {
                    return "tcp " + text((InetSocketAddress) ch.getLocalAddress()) + " <- "
                            + text((InetSocketAddress) ch.getRemoteAddress());
                } catch (IOException e) {
                    return "tcp (closed)";
                }
            });
            this.bufferSize = bufferSize;
            this.bound = (InetSocketAddress) server.getLocalAddress();
        }

        @Override
        public InetSocketAddress localAddress() {
            return bound;
        }

        @Override
        void configure(SocketChannel ch) throws IOException {
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            if (bufferSize > 0) {
                ch.setOption(StandardSocketOptions.SO_SNDBUF, bufferSize);
                ch.setOption(StandardSocketOptions.SO_RCVBUF, bufferSize);
            }
        }

        @Override
        String addressText() {
            return text(bound);
        }
    }
}
