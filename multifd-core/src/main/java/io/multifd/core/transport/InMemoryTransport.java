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
import io.multifd.api.spi.TransportChannel;
import io.multifd.api.spi.TransportConnector;
import io.multifd.api.spi.TransportListener;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Channels inside one JVM, for tests and examples: each connection is a pair of bounded byte
 * pipes with the semantics of a TCP connection (blocking reads and writes, end of stream after
 * {@code shutdownOutput} or {@code close}, "broken pipe" when writing to a closed peer, a blocked
 * call returns when its channel is closed from another thread). Steady state allocates nothing.
 *
 * <p>With {@link Builder#maxDelay(Duration)}, every write is delivered to the reader after an
 * independent random delay (uniform up to the maximum, from a generator seeded with
 * {@link Builder#seed(long)} and the channel id), while the byte order within a direction is
 * kept. Channels then overtake each other the way real links do under load, which is what sync
 * ordering tests need.
 *
 * <pre>{@code
 * InMemoryTransport t = InMemoryTransport.builder().seed(42).maxDelay(Duration.ofMillis(3)).build();
 * MultiFdReceiver receiver = MultiFdReceiver.builder(config, t.listener()).build().start();
 * MultiFdSender sender = MultiFdSender.builder(config, t.connector()).build();
 * }</pre>
 *
 * Thread-safe.
 */
public final class InMemoryTransport {

    private final int bufferSize;
    private final long maxDelayNanos;
    private final long seed;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition();
    private final ArrayDeque<InMemoryEnd> backlog = new ArrayDeque<>();
    private boolean listenerClosed;
    private int connections;

    private InMemoryTransport(Builder b) {
        this.bufferSize = b.bufferSize;
        this.maxDelayNanos = b.maxDelay.toNanos();
        this.seed = b.seed;
    }

    /** An in-memory transport without delays, with 1 MiB pipes. */
    public static InMemoryTransport create() {
        return builder().build();
    }

    /** Returns a builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** Connections made so far. */
    public int connections() {
        lock.lock();
        try {
            return connections;
        } finally {
            lock.unlock();
        }
    }

    /** The sender's side: each {@code connect} makes a new pipe pair and queues its far end for the listener. */
    public TransportConnector connector() {
        return new TransportConnector() {
            @Override
            public TransportChannel connect(int channelId, Duration timeout) throws IOException {
                lock.lock();
                try {
                    if (listenerClosed) {
                        throw new ConnectException("in-memory listener is closed (connection refused)");
                    }
                    int n = connections++;
                    Pipe toServer = maxDelayNanos > 0
                            ? new DelayPipe(bufferSize, maxDelayNanos, seed * 31 + channelId * 2L + 1) : new FastPipe(bufferSize);
                    Pipe toClient = maxDelayNanos > 0
                            ? new DelayPipe(bufferSize, maxDelayNanos, seed * 31 + channelId * 2L) : new FastPipe(bufferSize);
                    InMemoryEnd client = new InMemoryEnd(toClient, toServer, "memory #" + n + " (channel " + channelId + ", sender side)");
                    InMemoryEnd server = new InMemoryEnd(toServer, toClient, "memory #" + n + " (channel " + channelId + ", receiver side)");
                    backlog.add(server);
                    arrived.signalAll();
                    return client;
                } finally {
                    lock.unlock();
                }
            }

            @Override
            public String description() {
                return "memory";
            }
        };
    }

    /** The receiver's side. There is one listener per transport; closing it refuses later connections. */
    public TransportListener listener() {
        return new TransportListener() {
            @Override
            public TransportChannel accept(Duration timeout) throws IOException {
                lock.lock();
                try {
                    long left = timeout.toNanos();
                    while (backlog.isEmpty()) {
                        if (listenerClosed) {
                            throw new ClosedChannelException();
                        }
                        if (left <= 0) {
                            throw new ChannelTimeoutException("no in-memory connection arrived within "
                                    + timeout.toMillis() + " ms");
                        }
                        left = arrived.awaitNanos(left);
                    }
                    return backlog.poll();
                } catch (InterruptedException e) {
                    throw interrupted("accepting");
                } finally {
                    lock.unlock();
                }
            }

            @Override
            public void close() {
                lock.lock();
                try {
                    listenerClosed = true;
                    backlog.forEach(InMemoryEnd::close);
                    backlog.clear();
                    arrived.signalAll();
                } finally {
                    lock.unlock();
                }
            }

            @Override
            public String description() {
                return "memory";
            }
        };
    }

    /** Builds an {@link InMemoryTransport}. Not thread-safe. */
    public static final class Builder {
        private int bufferSize = 1 << 20;
        private Duration maxDelay = Duration.ZERO;
        private long seed;

        private Builder() {
        }

        /**
         * @param bytes capacity of each direction's pipe, 1 KiB to 256 MiB
         * @return this builder
         */
        public Builder bufferSize(int bytes) {
            if (bytes < 1024 || bytes > (256 << 20)) {
                throw new IllegalArgumentException("bufferSize must be 1 KiB to 256 MiB: " + bytes);
            }
            this.bufferSize = bytes;
            return this;
        }

        /**
         * @param delay the largest delivery delay of one write; zero for none
         * @return this builder
         */
        public Builder maxDelay(Duration delay) {
            Objects.requireNonNull(delay, "delay");
            if (delay.isNegative() || delay.compareTo(Duration.ofSeconds(10)) > 0) {
                throw new IllegalArgumentException("maxDelay must be 0 to 10 s: " + delay);
            }
            this.maxDelay = delay;
            return this;
        }

        /**
         * @param seed seeds the delays (with the channel id), so a run can be repeated
         * @return this builder
         */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Returns the transport. */
        public InMemoryTransport build() {
            return new InMemoryTransport(this);
        }
    }

    /**
     * One direction of a connection: one writing thread, one reading thread at a time. Holds the
     * ring and the positions and flags both kinds of pipe share; subclasses move the bytes.
     */
    abstract static class Pipe {
        final byte[] ring;
        volatile long readPos;
        volatile long writePos;
        volatile boolean writerDone;   // shutdownOutput or close by the writing end
        volatile boolean writerClosed; // close by the writing end (its blocked writes must end)
        volatile boolean readerClosed; // close by the reading end
        private final ByteBuffer[] oneOut = new ByteBuffer[1]; // confined to the writing thread
        private final ByteBuffer[] oneIn = new ByteBuffer[1];  // confined to the reading thread

        Pipe(int capacity) {
            this.ring = new byte[capacity];
        }

        /** Writes from several buffers at once (one wake-up of the reader); at least one byte. */
        abstract long write(ByteBuffer[] srcs, int offset, int length) throws IOException;

        /** Reads into several buffers at once; at least one byte, or -1 at end of stream. */
        abstract long read(ByteBuffer[] dsts, int offset, int length) throws IOException;

        /** Wakes any thread blocked in this pipe, after a flag changed. */
        abstract void wakeBoth();

        /** Ends the stream for the reader; {@code closing} also ends the writer's blocked and later writes. */
        final void shutdownWriter(boolean closing) {
            writerDone = true;
            if (closing) {
                writerClosed = true;
            }
            wakeBoth();
        }

        final void closeReader() {
            readerClosed = true;
            wakeBoth();
        }

        final int write(ByteBuffer src) throws IOException {
            oneOut[0] = src;
            try {
                return (int) write(oneOut, 0, 1);
            } finally {
                oneOut[0] = null;
            }
        }

        final int read(ByteBuffer dst) throws IOException {
            oneIn[0] = dst;
            try {
                return (int) read(oneIn, 0, 1);
            } finally {
                oneIn[0] = null;
            }
        }

        /** Throws what a write to this pipe would meet now, if anything. */
        final void checkWritable() throws IOException {
            if (writerClosed) {
                throw new AsynchronousCloseException();
            }
            if (readerClosed) {
                throw new IOException("Broken pipe (the in-memory peer closed the connection)");
            }
            if (writerDone) {
                throw new ClosedChannelException();
            }
        }
    }

    /**
     * A single-producer single-consumer ring of bytes without locks: positions are volatile, and a
     * side that must wait registers its thread, checks once more, then parks; the other side
     * unparks it after moving its position (a Dekker-style handshake on volatiles, so no wake-up
     * is lost). Allocates nothing per call, so benchmarks over it measure the engine.
     */
    private static final class FastPipe extends Pipe {
        private volatile Thread readerWaiting;
        private volatile Thread writerWaiting;

        FastPipe(int capacity) {
            super(capacity);
        }

        @Override
        long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            if (!hasRemaining(srcs, offset, length)) {
                return 0;
            }
            while (true) {
                checkWritable();
                long w = writePos;
                long free = ring.length - (w - readPos);
                if (free > 0) {
                    long n = transfer(ring, w, free, srcs, offset, length, true);
                    writePos = w + n; // publish once: one wake-up for the whole gather
                    unpark(readerWaiting);
                    return n;
                }
                writerWaiting = Thread.currentThread();
                try {
                    if (ring.length - (writePos - readPos) <= 0 && !readerClosed && !writerClosed) {
                        park("writing");
                    }
                } finally {
                    writerWaiting = null;
                }
            }
        }

        @Override
        long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            if (!hasRemaining(dsts, offset, length)) {
                return 0;
            }
            while (true) {
                if (readerClosed) {
                    throw new AsynchronousCloseException();
                }
                long r = readPos;
                long available = writePos - r;
                if (available > 0) {
                    long n = transfer(ring, r, available, dsts, offset, length, false);
                    readPos = r + n;
                    unpark(writerWaiting);
                    return n;
                }
                if (writerDone && readPos == writePos) {
                    return -1;
                }
                readerWaiting = Thread.currentThread();
                try {
                    if (writePos - readPos <= 0 && !writerDone && !readerClosed) {
                        park("reading");
                    }
                } finally {
                    readerWaiting = null;
                }
            }
        }

        @Override
        void wakeBoth() {
            unpark(readerWaiting);
            unpark(writerWaiting);
        }

        /** Parks the calling thread, whose waiting slot is set; throws if it was interrupted. */
        private void park(String doing) throws InterruptedIOException {
            LockSupport.park(this);
            if (Thread.interrupted()) {
                throw interrupted(doing);
            }
        }
    }

    /**
     * One direction with delivery delays (made only for a positive delay): the ring plus a ring of
     * marks recording, for each write, where it ends and when it may be read. Lock-based (tests only).
     */
    private static final class DelayPipe extends Pipe {
        private final long delayNanos;
        private final SplittableRandom random;
        private final long[] markEnd = new long[4096];
        private final long[] markTime = new long[4096];
        private int markHead;
        private int markCount;
        private long lastTime;
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition readable = lock.newCondition();
        private final Condition writable = lock.newCondition();

        DelayPipe(int capacity, long delayNanos, long seed) {
            super(capacity);
            this.delayNanos = delayNanos;
            this.random = new SplittableRandom(seed);
        }

        @Override
        long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            if (!hasRemaining(srcs, offset, length)) {
                return 0;
            }
            lock.lock();
            try {
                while (true) {
                    checkWritable();
                    long free = ring.length - (writePos - readPos);
                    if (free > 0 && markCount < markEnd.length) {
                        long n = transfer(ring, writePos, free, srcs, offset, length, true);
                        writePos += n;
                        lastTime = Math.max(lastTime, System.nanoTime() + (long) (random.nextDouble() * delayNanos));
                        int slot = (markHead + markCount) % markEnd.length;
                        markEnd[slot] = writePos;
                        markTime[slot] = lastTime;
                        markCount++;
                        readable.signalAll();
                        return n;
                    }
                    writable.await();
                }
            } catch (InterruptedException e) {
                throw interrupted("writing");
            } finally {
                lock.unlock();
            }
        }

        @Override
        long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            if (!hasRemaining(dsts, offset, length)) {
                return 0;
            }
            lock.lock();
            try {
                while (true) {
                    if (readerClosed) {
                        throw new AsynchronousCloseException();
                    }
                    // every queued mark ends after readPos: a read drops the marks it passes
                    long visible = readPos;
                    long waitNanos = Long.MAX_VALUE; // until signalled, or until the next mark is due
                    long now = System.nanoTime();
                    for (int i = 0; i < markCount; i++) {
                        int slot = (markHead + i) % markEnd.length;
                        if (markTime[slot] - now > 0) {
                            waitNanos = markTime[slot] - now;
                            break;
                        }
                        visible = markEnd[slot];
                    }
                    if (visible > readPos) {
                        long n = transfer(ring, readPos, visible - readPos, dsts, offset, length, false);
                        readPos += n;
                        while (markCount > 0 && markEnd[markHead] <= readPos) {
                            markHead = (markHead + 1) % markEnd.length;
                            markCount--;
                        }
                        writable.signalAll();
                        return n;
                    }
                    if (writerDone && readPos == writePos) {
                        return -1;
                    }
                    readable.awaitNanos(waitNanos);
                }
            } catch (InterruptedException e) {
                throw interrupted("reading");
            } finally {
                lock.unlock();
            }
        }

        @Override
        void wakeBoth() {
            lock.lock(); // a waiter checks the flags under the lock, so it is checking or awaiting now
            try {
                readable.signalAll();
                writable.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /** True if any of the buffers has bytes remaining. */
    private static boolean hasRemaining(ByteBuffer[] buffers, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            if (buffers[i].hasRemaining()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Copies up to {@code max} bytes between the buffers, in order, and the ring from ring position
     * {@code pos} on (into the ring if {@code intoRing}, else out of it); returns how many.
     */
    private static long transfer(byte[] ring, long pos, long max, ByteBuffer[] buffers, int offset, int length,
                                 boolean intoRing) {
        long n = 0;
        for (int i = offset; i < offset + length && n < max; i++) {
            ByteBuffer buffer = buffers[i];
            int k = (int) Math.min(max - n, buffer.remaining());
            int at = (int) ((pos + n) % ring.length);
            int first = Math.min(k, ring.length - at); // the rest wraps to the ring's start
            if (intoRing) {
                buffer.get(ring, at, first).get(ring, 0, k - first);
            } else {
                buffer.put(ring, at, first).put(ring, 0, k - first);
            }
            n += k;
        }
        return n;
    }

    private static void unpark(Thread waiting) {
        if (waiting != null) {
            LockSupport.unpark(waiting);
        }
    }

    /** The exception for an interrupted wait; keeps the thread's interrupt status set. */
    private static InterruptedIOException interrupted(String doing) {
        Thread.currentThread().interrupt();
        return new InterruptedIOException("interrupted while " + doing);
    }
}
