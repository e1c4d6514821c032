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
import java.io.InterruptedIOException;
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
 * A transport wrapper that breaks or slows one connection at a chosen byte offset, on a chosen
 * side: the peer reads end of stream (EOF), the connection is closed underneath (RESET), it stops
 * moving bytes while staying open (STALL), one bit flips (CORRUPT), every call moves only part of
 * what it was given (SHORT), or bytes move one at a time with pauses (TRICKLE). The last two lose
 * nothing: a correct user completes over them. On the sender side the offset counts bytes
 * written, on the receiver side bytes read. Every wrapped connection is remembered so that a test can check that
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
        /**
         * One bit flips, once: on the sender side in the last byte of the first write at or past
         * the offset, on the receiver side in the first byte read at or past it.
         */
        CORRUPT,
        /**
         * From the offset on, every write accepts (every read returns) at most half of what it was
         * offered, at least one byte, as a busy socket does; nothing is lost.
         */
        SHORT,
        /**
         * From the offset on, the next {@link #TRICKLE_BYTES} bytes move one per call, with a
         * pause (see {@link FaultLink#FaultLink(Fault, Duration)}) after each quarter of them, so
         * that the connection is slow for four pauses in all but never idle for longer than one;
         * nothing is lost.
         */
        TRICKLE
    }

    /** How many bytes a {@link Kind#TRICKLE} moves one at a time. */
    public static final int TRICKLE_BYTES = 64 << 10;

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
    private final long pauseNanos;
    private final List<Conn> conns = new CopyOnWriteArrayList<>();
    private final AtomicInteger accepted = new AtomicInteger();

    /**
     * Makes a link that injects one fault.
     *
     * @param fault the fault to inject, or null for none
     */
    public FaultLink(Fault fault) {
        this(fault, Duration.ofMillis(100));
    }

    /**
     * Makes a link that injects one fault, with the pause of a {@link Kind#TRICKLE}.
     *
     * @param fault the fault to inject, or null for none
     * @param pause how long a trickling connection pauses after each quarter of
     *              {@link #TRICKLE_BYTES}; closing the connection ends a pause
     * @throws IllegalArgumentException if the pause is negative
     */
    public FaultLink(Fault fault, Duration pause) {
        if (pause.isNegative()) {
            throw new IllegalArgumentException("pause must not be negative: " + pause);
        }
        this.fault = fault;
        this.pauseNanos = pause.toNanos();
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
                Conn c = new Conn(inner.connect(channelId, timeout), mine ? fault : null, true, pauseNanos);
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
                Conn c = new Conn(t, mine ? fault : null, false, pauseNanos);
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
        private final long pauseNanos;
        private long trickled; // by the one thread of the faulty direction
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition closedCond = lock.newCondition();
        private volatile long counted;
        private volatile boolean fired;
        private volatile long firedAt;
        private volatile boolean forced;
        private volatile boolean userClosed;

        Conn(TransportChannel inner, Fault fault, boolean onWrites, long pauseNanos) {
            super(inner);
            this.fault = fault;
            this.onWrites = onWrites;
            this.pauseNanos = pauseNanos;
        }

        /** Fires the fault if this call starts at or past the offset; returns it if it applies. */
        private Kind due(boolean write) throws IOException {
            if (fault == null || write != onWrites || (counted < fault.offset() && !forced)) {
                return null;
            }
            if (fault.kind() == Kind.CORRUPT) {
                return fired ? null : Kind.CORRUPT; // fired once a bit actually flipped
            }
            if (fault.kind() == Kind.TRICKLE && trickled >= TRICKLE_BYTES) {
                return null;
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

        private void fire() {
            if (!fired) {
                firedAt = System.nanoTime();
                fired = true;
            }
        }

        /** Counts a trickled byte; pauses after each quarter of them, until the pause ends or a close. */
        private void trickled() throws IOException {
            trickled++;
            if (trickled % (TRICKLE_BYTES / 4) != 0) {
                return;
            }
            lock.lock();
            try {
                long left = pauseNanos;
                while (!userClosed && left > 0) {
                    try {
                        left = closedCond.awaitNanos(left);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException("interrupted in a trickle's pause");
                    }
                }
            } finally {
                lock.unlock();
            }
            if (userClosed) {
                throw new AsynchronousCloseException();
            }
        }

        /** The first buffer with room, limited to what a SHORT or TRICKLE call moves; null if none. */
        private static ByteBuffer limited(ByteBuffer[] bufs, int offset, int length, Kind k) {
            for (int i = offset; i < offset + length; i++) {
                if (bufs[i].hasRemaining()) {
                    ByteBuffer view = bufs[i].duplicate();
                    view.limit(view.position() + (k == Kind.TRICKLE ? 1 : Math.max(1, view.remaining() / 2)));
                    return view;
                }
            }
            return null;
        }

        /** The index of the first buffer with room, or -1. */
        private static int firstWithRoom(ByteBuffer[] bufs, int offset, int length) {
            for (int i = offset; i < offset + length; i++) {
                if (bufs[i].hasRemaining()) {
                    return i;
                }
            }
            return -1;
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
            } else if (k == Kind.SHORT || k == Kind.TRICKLE) {
                int i = firstWithRoom(dsts, offset, length);
                if (i < 0) {
                    return 0;
                }
                ByteBuffer view = limited(dsts, i, 1, k);
                int n = delegate.read(view);
                if (n > 0) {
                    dsts[i].position(view.position());
                    counted += n;
                    fire();
                    if (k == Kind.TRICKLE) {
                        trickled();
                    }
                }
                return n;
            }
            int[] before = null;
            if (k == Kind.CORRUPT) {
                before = new int[length];
                for (int i = 0; i < length; i++) {
                    before[i] = dsts[offset + i].position();
                }
            }
            long n = delegate.read(dsts, offset, length);
            if (n > 0) {
                counted += n;
                if (before != null) {
                    for (int i = 0; i < length; i++) {
                        ByteBuffer d = dsts[offset + i];
                        if (d.position() > before[i]) {
                            d.put(before[i], (byte) (d.get(before[i]) ^ 0x10));
                            fire();
                            break;
                        }
                    }
                }
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
                if (all == 0) {
                    return 0;
                }
                copy.put(copy.position() - 1, (byte) (copy.get(copy.position() - 1) ^ 0x10)).flip();
                fire();
                while (copy.hasRemaining()) {
                    delegate.write(copy);
                }
                counted += all;
                return all;
            } else if (k == Kind.SHORT || k == Kind.TRICKLE) {
                int i = firstWithRoom(srcs, offset, length);
                if (i < 0) {
                    return 0;
                }
                ByteBuffer view = limited(srcs, i, 1, k);
                int n = delegate.write(view);
                srcs[i].position(view.position());
                counted += n;
                if (n > 0) {
                    fire();
                    if (k == Kind.TRICKLE) {
                        trickled();
                    }
                }
                return n;
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
