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
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A transport wrapper that breaks one connection at a chosen byte offset, on a chosen side: the
 * peer reads end of stream (EOF), the connection is closed underneath (RESET), it stops moving
 * bytes while staying open (STALL), or one bit of what the sender writes flips (CORRUPT). On the sender side the offset counts bytes written, on the
 * receiver side bytes read. Every wrapped connection is remembered so that a test can check that
 * all were closed, and the moment the fault happened so that it can bound how long the sides took
 * to notice. The fault is placed by byte count, so this class knows nothing of any wire format.
 *
 * <h2>Threads</h2>
 * Thread-safe: the wrappers follow the {@link TransportChannel} rules (one reader and one writer
 * at a time, {@code close()} from any thread, which also ends a stalled call);
 * {@link #trigger()}, {@link #fired()} and {@link #open()} from any thread.
 */
public final class FaultLink {

    /** What happens at the offset. */
    public enum Kind {
        /** The sender's output is shut (its later writes vanish) / the receiver reads end of stream. */
        EOF,
        /** The connection is closed underneath its user. */
        RESET,
        /** Nothing moves any more (the sender's writes / the receiver's reads block) until closed. */
        STALL,
        /** Sender side only: the last byte of the write that reaches the offset is flipped, once. */
        CORRUPT
    }

    /** Which side's connection breaks. */
    public enum Side {
        /** The sender's connection: the offset counts bytes it wrote. */
        SENDER,
        /** The receiver's connection: the offset counts bytes it read. */
        RECEIVER
    }

    /**
     * One fault.
     *
     * @param side    whose connection
     * @param channel the sender's channel id, or the receiver's n-th accepted connection
     * @param offset  bytes written (sender) or read (receiver) before the fault
     * @param kind    what happens
     */
    public record Fault(Side side, int channel, long offset, Kind kind) {
    }

    private final Fault fault;
    private final List<Conn> conns = new CopyOnWriteArrayList<>();
    private final AtomicInteger accepted = new AtomicInteger();

    /**
     * Makes a link that injects one fault.
     *
     * @param fault the fault to inject, or null for none
     */
    public FaultLink(Fault fault) {
        this.fault = fault;
    }

    /** Makes the fault happen at the next call on its connection, whatever the offset. */
    public void trigger() {
        for (Conn c : conns) {
            c.forced = true;
        }
    }

    /**
     * Whether the fault happened.
     *
     * @return true once the fault happened
     */
    public boolean fired() {
        return firedAt() != 0;
    }

    /**
     * When the fault happened.
     *
     * @return its {@link System#nanoTime()}, or 0 if it did not happen (yet)
     */
    public long firedAt() {
        for (Conn c : conns) {
            if (c.fired) {
                return c.firedAt;
            }
        }
        return 0;
    }

    /**
     * The connections still open, for a leak check after both sides ended.
     *
     * @return descriptions of the wrapped connections that their user never closed
     */
    public List<String> open() {
        return conns.stream().filter(c -> !c.userClosed).map(Conn::description).toList();
    }

    /**
     * Wraps the sender's transport.
     *
     * @param inner the sender's transport; its channels are owned by the wrappers
     * @return it, wrapped
     */
    public TransportConnector connector(TransportConnector inner) {
        return new TransportConnector() {
            @Override
            public TransportChannel connect(int channelId, Duration timeout) throws IOException {
                boolean mine = fault != null && fault.side() == Side.SENDER && fault.channel() == channelId;
                Conn c = new Conn(inner.connect(channelId, timeout), mine ? fault : null, true);
                conns.add(c);
                return c;
            }

            @Override
            public String description() {
                return "fault-link " + inner.description();
            }
        };
    }

    /**
     * Wraps the receiver's transport.
     *
     * @param inner the receiver's transport; its channels are owned by the wrappers
     * @return it, wrapped
     */
    public TransportListener listener(TransportListener inner) {
        return new TransportListener() {
            @Override
            public TransportChannel accept(Duration timeout) throws IOException {
                TransportChannel t = inner.accept(timeout);
                int n = accepted.getAndIncrement();
                boolean mine = fault != null && fault.side() == Side.RECEIVER && fault.channel() == n;
                Conn c = new Conn(t, mine ? fault : null, false);
                conns.add(c);
                return c;
            }

            @Override
            public void close() throws IOException {
                inner.close();
            }

            @Override
            public String description() {
                return "fault-link " + inner.description();
            }
        };
    }

    private static final class Conn extends ForwardingTransportChannel {
        private final Fault fault;
        private final boolean onWrites;
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition closedCond = lock.newCondition();
        private volatile long counted;
        private volatile boolean fired;
        private volatile long firedAt;
        private volatile boolean forced;
        private volatile boolean userClosed;

        Conn(TransportChannel inner, Fault fault, boolean onWrites) {
            super(inner);
            this.fault = fault;
            this.onWrites = onWrites;
        }

        /** Fires the fault if this call starts at or past the offset; returns it if it applies. */
        private Kind due(boolean write) throws IOException {
            if (fault == null || write != onWrites || (counted < fault.offset() && !forced)) {
                return null;
            }
            if (fault.kind() == Kind.CORRUPT) {
                if (fired) {
                    return null;
                }
                firedAt = System.nanoTime();
                fired = true;
                return Kind.CORRUPT;
            }
            if (!fired) {
                firedAt = System.nanoTime();
                fired = true;
                if (fault.kind() == Kind.RESET) {
                    delegate.close();
                } else if (fault.kind() == Kind.EOF && write) {
                    delegate.shutdownOutput();
                }
            }
            return fault.kind();
        }

        private void stall() throws IOException {
            lock.lock();
            try {
                while (!userClosed) {
                    closedCond.awaitUninterruptibly();
                }
            } finally {
                lock.unlock();
            }
            throw new AsynchronousCloseException();
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return (int) read(new ByteBuffer[] {dst}, 0, 1);
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            Kind k = due(false);
            if (k == Kind.STALL) {
                stall();
            } else if (k == Kind.EOF) {
                return -1;
            } else if (k == Kind.RESET) {
                throw new ClosedChannelException();
            }
            long n = delegate.read(dsts, offset, length);
            if (n > 0) {
                counted += n;
            }
            return n;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return (int) write(new ByteBuffer[] {src}, 0, 1);
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            Kind k = due(true);
            if (k == Kind.STALL) {
                stall();
            } else if (k == Kind.EOF) {
                long all = 0;
                for (int i = offset; i < offset + length; i++) {
                    all += srcs[i].remaining();
                    srcs[i].position(srcs[i].limit()); // written into the void
                }
                return all;
            } else if (k == Kind.RESET) {
                throw new ClosedChannelException();
            } else if (k == Kind.CORRUPT) {
                long all = 0;
                for (int i = offset; i < offset + length; i++) {
                    all += srcs[i].remaining();
                }
                ByteBuffer copy = ByteBuffer.allocate((int) all);
                for (int i = offset; i < offset + length; i++) {
                    copy.put(srcs[i]);
                }
                copy.put(copy.position() - 1, (byte) (copy.get(copy.position() - 1) ^ 0x10)).flip();
                while (copy.hasRemaining()) {
                    delegate.write(copy);
                }
                counted += all;
                return all;
            }
            long n = delegate.write(srcs, offset, length);
            counted += n;
            return n;
        }

        @Override
        public void close() throws IOException {
            lock.lock();
            try {
                userClosed = true;
                closedCond.signalAll();
            } finally {
                lock.unlock();
            }
            delegate.close();
        }
    }
}
