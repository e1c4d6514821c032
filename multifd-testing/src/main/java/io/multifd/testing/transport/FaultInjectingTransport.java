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
package io.multifd.testing.transport;

import io.multifd.api.spi.TransportChannel;
import io.multifd.api.spi.TransportConnector;
import io.multifd.api.spi.TransportListener;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * Wraps a transport to inject faults: a connection can be {@linkplain Connector#cut(int) cut}
 * underneath its user (as a reset or a dead host would), and the bytes one side writes can be
 * split into messages by a {@link MessageFilter} that drops chosen ones. The transport's own
 * behaviour is otherwise unchanged; the filters decide what a message is, so this class knows
 * nothing of any wire format.
 *
 * <h2>Threads</h2>
 * The connector and listener are thread-safe; {@code cut} may be called from any thread at any
 * time. A filtered channel serializes its writes (one writer at a time, as the SPI allows); its
 * filter is called only under that channel's lock.
 */
public final class FaultInjectingTransport {

    private FaultInjectingTransport() {
    }

    /**
     * Splits the bytes one side of a channel writes into messages and decides which to drop.
     * Confined to its channel (called under the channel's write lock).
     */
    public interface MessageFilter {
        /**
         * Measures the message at the start of the pending bytes.
         *
         * @param pending written bytes not yet forwarded, from position to limit; read-only use
         * @return the length of the complete message at the position, or -1 if more bytes are needed
         */
        int messageLength(ByteBuffer pending);

        /**
         * Decides about the message just measured (at {@code pending}'s position).
         *
         * @param pending the same bytes; read-only use
         * @return true to drop it, false to forward it
         */
        boolean drop(ByteBuffer pending);
    }

    /** A connector whose channels can be cut and, with a filter, drop what the connecting side writes. */
    public static class Connector implements TransportConnector {
        private final TransportConnector inner;
        private final IntFunction<MessageFilter> filters;
        private final Map<Integer, TransportChannel> open = new ConcurrentHashMap<>();

        /**
         * @param inner   the transport to wrap; its channels are owned by the channels this returns
         * @param filters makes the filter of a channel id, or returns {@code null} to forward
         *                everything that channel writes
         */
        public Connector(TransportConnector inner, IntFunction<MessageFilter> filters) {
            this.inner = Objects.requireNonNull(inner, "inner");
            this.filters = Objects.requireNonNull(filters, "filters");
        }

        @Override
        public TransportChannel connect(int channelId, Duration timeout) throws IOException {
            TransportChannel c = inner.connect(channelId, timeout);
            open.put(channelId, c);
            return wrap(c, filters.apply(channelId));
        }

        /**
         * Closes channel {@code id}'s connection underneath the sender, as a network failure would.
         *
         * @param id the channel id; nothing happens if it never connected
         * @throws IOException if closing fails
         */
        public void cut(int id) throws IOException {
            TransportChannel c = open.get(id);
            if (c != null) {
                c.close();
            }
        }

        @Override
        public String description() {
            return "faulty " + inner.description();
        }
    }

    /** A listener whose accepted channels can be cut and, with a filter, drop what the accepting side writes. */
    public static class Listener implements TransportListener {
        private final TransportListener inner;
        private final IntFunction<MessageFilter> filters;
        private final AtomicInteger accepted = new AtomicInteger();
        private final Map<Integer, TransportChannel> open = new ConcurrentHashMap<>();

        /**
         * @param inner   the transport to wrap; its channels are owned by the channels this returns
         * @param filters makes the filter of the n-th accepted connection (0 for the first), or
         *                returns {@code null} to forward everything it writes
         */
        public Listener(TransportListener inner, IntFunction<MessageFilter> filters) {
            this.inner = Objects.requireNonNull(inner, "inner");
            this.filters = Objects.requireNonNull(filters, "filters");
        }

        @Override
        public TransportChannel accept(Duration timeout) throws IOException {
            TransportChannel c = inner.accept(timeout);
            int n = accepted.getAndIncrement();
            open.put(n, c);
            return wrap(c, filters.apply(n));
        }

        /**
         * Closes the {@code n}-th accepted connection underneath the receiver.
         *
         * @param n 0 for the first accepted; nothing happens if there was no such connection
         * @throws IOException if closing fails
         */
        public void cut(int n) throws IOException {
            TransportChannel c = open.get(n);
            if (c != null) {
                c.close();
            }
        }

        @Override
        public void close() throws IOException {
            inner.close();
        }

        @Override
        public String description() {
            return "faulty " + inner.description();
        }
    }

    private static TransportChannel wrap(TransportChannel c, MessageFilter filter) {
        return filter == null ? new Described(c) : new Filtering(c, filter);
    }

    /** Forwards everything; only the description says it is wrapped. */
    private static final class Described extends ForwardingTransportChannel {
        Described(TransportChannel inner) {
            super(inner);
        }

        @Override
        public String description() {
            return "faulty " + delegate.description();
        }
    }

    /** Buffers what the wrapped side writes and forwards whole messages, minus dropped ones. */
    private static final class Filtering extends ForwardingTransportChannel {
        private final MessageFilter filter;
        private ByteBuffer pending = ByteBuffer.allocate(1 << 16).flip();

        Filtering(TransportChannel inner, MessageFilter filter) {
            super(inner);
            this.filter = filter;
        }

        private synchronized long accept(ByteBuffer[] srcs, int off, int len) throws IOException {
            long total = 0;
            for (int i = off; i < off + len; i++) {
                total += srcs[i].remaining();
            }
            if (pending.capacity() - pending.remaining() < total) {
                ByteBuffer bigger = ByteBuffer.allocate((int) Math.max(pending.capacity() * 2L, pending.remaining() + total));
                bigger.put(pending).flip();
                pending = bigger;
            }
            pending.compact();
            for (int i = off; i < off + len; i++) {
                pending.put(srcs[i]);
            }
            pending.flip();
            while (true) {
                int m = filter.messageLength(pending);
                if (m < 0) {
                    break;
                }
                boolean drop = filter.drop(pending);
                ByteBuffer msg = pending.slice(pending.position(), m);
                pending.position(pending.position() + m);
                if (!drop) {
                    while (msg.hasRemaining()) {
                        delegate.write(msg);
                    }
                }
            }
            return total;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return (int) accept(new ByteBuffer[] {src}, 0, 1);
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            return accept(srcs, offset, length);
        }

        @Override
        public String description() {
            return "faulty " + delegate.description();
        }
    }
}
