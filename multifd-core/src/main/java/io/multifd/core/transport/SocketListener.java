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

import io.multifd.api.ChannelTimeoutException;
import io.multifd.api.spi.ConnectionRefusedException;
import io.multifd.api.spi.TransportChannel;
import io.multifd.api.spi.TransportListener;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.function.Function;

/**
 * Accepts connections on a bound {@link ServerSocketChannel} (TCP or Unix domain). The server
 * channel is non-blocking and waits in a {@link Selector} with a timeout, because a blocking
 * accept cannot be bounded; accepted channels are switched to blocking mode. {@link #accept} is
 * called by one thread; {@link #close()} by any thread wakes it.
 */
abstract class SocketListener implements TransportListener {

    private final ServerSocketChannel server;
    private final Selector selector;
    private final String kind;
    private final Function<SocketChannel, String> describe;
    private volatile boolean closed;

    SocketListener(ServerSocketChannel server, String kind, Function<SocketChannel, String> describe) throws IOException {
        this.server = server;
        this.kind = kind;
        this.describe = describe;
        boolean ok = false;
        try {
            server.configureBlocking(false);
            this.selector = Selector.open();
            server.register(selector, SelectionKey.OP_ACCEPT);
            ok = true;
        } finally {
            if (!ok) {
                server.close();
            }
        }
    }

    /** The bound address (with the port the system picked for port 0). */
    public SocketAddress localAddress() {
        try {
            return server.getLocalAddress();
        } catch (IOException e) {
            throw new IllegalStateException("listener is closed", e);
        }
    }

    @Override
    public TransportChannel accept(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (closed) {
                throw new ClosedChannelException();
            }
            SocketChannel ch = server.accept();
            if (ch != null) {
                String refused;
                try {
                    refused = refusal(ch);
                } catch (IOException | RuntimeException e) {
                    refused = "its credentials cannot be read: " + e.getMessage();
                }
                if (refused != null) {
                    String who = describeQuietly(ch);
                    ch.close();
                    throw new ConnectionRefusedException(who, refused);
                }
                try {
                    ch.configureBlocking(true);
                    configure(ch);
                    return new SocketTransportChannel(ch, describe.apply(ch));
                } catch (IOException | RuntimeException e) {
                    ch.close();
                    throw e;
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new ChannelTimeoutException("no connection arrived within " + timeout.toMillis() + " ms on "
                        + description());
            }
            try {
                selector.select(Math.max(1, left / 1_000_000));
                selector.selectedKeys().clear();
            } catch (ClosedSelectorException e) {
                throw new ClosedChannelException();
            }
        }
    }

    private String describeQuietly(SocketChannel ch) {
        try {
            return describe.apply(ch);
        } catch (RuntimeException e) {
            return description();
        }
    }

    /**
     * Tells why a just accepted connection must be closed at once (a peer not on an allow-list),
     * or null to keep it. Called on the accepting thread.
     *
     * @param ch the accepted connection
     * @return null to accept, else the reason (logged, without secrets)
     * @throws IOException if the peer cannot be checked; the connection is then refused
     */
    String refusal(SocketChannel ch) throws IOException {
        return null;
    }

    /** Sets socket options on an accepted channel. */
    void configure(SocketChannel ch) throws IOException {
    }

    /** Releases the address; subclasses remove files. */
    void released() {
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            selector.wakeup();
            selector.close();
        } finally {
            try {
                server.close();
            } finally {
                released();
            }
        }
    }

    @Override
    public String description() {
        return kind + " " + addressText();
    }

    abstract String addressText();

    @Override
    public String toString() {
        return description();
    }
}
