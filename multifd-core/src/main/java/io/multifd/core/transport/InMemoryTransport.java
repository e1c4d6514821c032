package io.multifd.core.transport;

import io.multifd.api.ChannelTimeoutException;
import io.multifd.api.spi.TransportChannel;
import io.multifd.api.spi.TransportConnector;
import io.multifd.api.spi.TransportListener;

import java.io.IOException;
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
    private final ArrayDeque<End> backlog = new ArrayDeque<>();
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
                    End client = new End(toClient, toServer, "memory #" + n + " (channel " + channelId + ", sender side)");
                    End server = new End(toServer, toClient, "memory #" + n + " (channel " + channelId + ", receiver side)");
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
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted while accepting");
                } finally {
                    lock.unlock();
                }
            }

            @Override
            public void close() {
                lock.lock();
                try {
                    listenerClosed = true;
                    for (End e : backlog) {
                        e.close();
                    }
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

    /** One direction of a connection: one writing thread, one reading thread at a time. */
    private interface Pipe {
        int write(ByteBuffer src) throws IOException;

        int read(ByteBuffer dst) throws IOException;

        /** Writes from several buffers at once (one wake-up of the reader); at least one byte. */
        default long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            long total = 0;
            for (int i = offset; i < offset + length; i++) {
                ByteBuffer b = srcs[i];
                if (!b.hasRemaining()) {
                    continue;
                }
                total += write(b);
                if (b.hasRemaining()) {
                    break;
                }
            }
            return total;
        }

        /** Reads into several buffers at once; at least one byte, or -1 at end of stream. */
        default long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            for (int i = offset; i < offset + length; i++) {
                if (dsts[i].hasRemaining()) {
                    return read(dsts[i]);
                }
            }
            return 0;
        }

        void shutdownWriter(boolean closing);

        void closeReader();
    }

    /**
     * A single-producer single-consumer ring of bytes without locks: positions are volatile, and a
     * side that must wait registers its thread, checks once more, then parks; the other side
     * unparks it after moving its position (a Dekker-style handshake on volatiles, so no wake-up
     * is lost). Allocates nothing per call, so benchmarks over it measure the engine.
     */
    private static final class FastPipe implements Pipe {
        private final byte[] ring;
        private volatile long readPos;
        private volatile long writePos;
        private volatile boolean writerDone;
        private volatile boolean writerClosed;
        private volatile boolean readerClosed;
        private volatile Thread readerWaiting;
        private volatile Thread writerWaiting;

        FastPipe(int capacity) {
            this.ring = new byte[capacity];
        }

        private final ByteBuffer[] one = new ByteBuffer[1];

        @Override
        public int write(ByteBuffer src) throws IOException {
            one[0] = src; // single writer thread: the holder is confined to it
            try {
                return (int) write(one, 0, 1);
            } finally {
                one[0] = null;
            }
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            long want = 0;
            for (int i = offset; i < offset + length; i++) {
                want += srcs[i].remaining();
            }
            if (want == 0) {
                return 0;
            }
            while (true) {
                if (writerClosed) {
                    throw new AsynchronousCloseException();
                }
                if (readerClosed) {
                    throw new IOException("Broken pipe (the in-memory peer closed the connection)");
                }
                if (writerDone) {
                    throw new ClosedChannelException();
                }
                long w = writePos;
                long free = ring.length - (w - readPos);
                if (free > 0) {
                    long n = 0;
                    for (int i = offset; i < offset + length && n < free; i++) {
                        ByteBuffer src = srcs[i];
                        while (src.hasRemaining() && n < free) {
                            int at = (int) ((w + n) % ring.length);
                            int k = (int) Math.min(Math.min(free - n, src.remaining()), ring.length - at);
                            src.get(ring, at, k);
                            n += k;
                        }
                    }
                    writePos = w + n; // publish once: one wake-up for the whole gather
                    Thread r = readerWaiting;
                    if (r != null) {
                        LockSupport.unpark(r);
                    }
                    return n;
                }
                writerWaiting = Thread.currentThread();
                if (ring.length - (writePos - readPos) > 0 || readerClosed || writerClosed) {
                    writerWaiting = null;
                    continue;
                }
                LockSupport.park(this);
                writerWaiting = null;
                if (Thread.interrupted()) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted while writing");
                }
            }
        }

        private final ByteBuffer[] oneIn = new ByteBuffer[1];

        @Override
        public int read(ByteBuffer dst) throws IOException {
            oneIn[0] = dst; // single reader thread
            try {
                return (int) read(oneIn, 0, 1);
            } finally {
                oneIn[0] = null;
            }
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            long room = 0;
            for (int i = offset; i < offset + length; i++) {
                room += dsts[i].remaining();
            }
            if (room == 0) {
                return 0;
            }
            while (true) {
                if (readerClosed) {
                    throw new AsynchronousCloseException();
                }
                long r = readPos;
                long available = writePos - r;
                if (available > 0) {
                    long n = 0;
                    for (int i = offset; i < offset + length && n < available; i++) {
                        ByteBuffer dst = dsts[i];
                        while (dst.hasRemaining() && n < available) {
                            int at = (int) ((r + n) % ring.length);
                            int k = (int) Math.min(Math.min(available - n, dst.remaining()), ring.length - at);
                            dst.put(ring, at, k);
                            n += k;
                        }
                    }
                    readPos = r + n;
                    Thread w = writerWaiting;
                    if (w != null) {
                        LockSupport.unpark(w);
                    }
                    return n;
                }
                if (writerDone && readPos == writePos) {
                    return -1;
                }
                readerWaiting = Thread.currentThread();
                if (writePos - readPos > 0 || writerDone || readerClosed) {
                    readerWaiting = null;
                    continue;
                }
                LockSupport.park(this);
                readerWaiting = null;
                if (Thread.interrupted()) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted while reading");
                }
            }
        }

        @Override
        public void shutdownWriter(boolean closing) {
            writerDone = true;
            if (closing) {
                writerClosed = true;
            }
            wakeBoth();
        }

        @Override
        public void closeReader() {
            readerClosed = true;
            wakeBoth();
        }

        private void wakeBoth() {
            Thread r = readerWaiting;
            if (r != null) {
                LockSupport.unpark(r);
            }
            Thread w = writerWaiting;
            if (w != null) {
                LockSupport.unpark(w);
            }
        }
    }

    /**
     * One direction with delivery delays: a ring buffer of bytes plus a ring of marks recording,
     * for each write, where it ends and when it may be read. Lock-based (tests only).
     */
    private static final class DelayPipe implements Pipe {
        private final byte[] ring;
        private final long delayNanos;
        private final SplittableRandom random;
        private final long[] markEnd;
        private final long[] markTime;
        private int markHead;
        private int markCount;
        private long lastTime;
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition readable = lock.newCondition();
        private final Condition writable = lock.newCondition();
        private long readPos;
        private long writePos;
        private boolean writerDone;   // shutdownOutput or close by the writing end
        private boolean readerClosed; // close by the reading end
        private boolean writerClosed; // close by the writing end (its blocked writes must end)

        DelayPipe(int capacity, long delayNanos, long seed) {
            this.ring = new byte[capacity];
            this.delayNanos = delayNanos;
            this.random = delayNanos > 0 ? new SplittableRandom(seed) : null;
            this.markEnd = delayNanos > 0 ? new long[4096] : null;
            this.markTime = delayNanos > 0 ? new long[4096] : null;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            if (!src.hasRemaining()) {
                return 0;
            }
            lock.lock();
            try {
                while (true) {
                    if (writerClosed) {
                        throw new AsynchronousCloseException();
                    }
                    if (readerClosed) {
                        throw new IOException("Broken pipe (the in-memory peer closed the connection)");
                    }
                    if (writerDone) {
                        throw new ClosedChannelException();
                    }
                    long free = ring.length - (writePos - readPos);
                    if (free > 0 && (markEnd == null || markCount < markEnd.length)) {
                        int n = (int) Math.min(free, src.remaining());
                        int at = (int) (writePos % ring.length);
                        int first = Math.min(n, ring.length - at);
                        src.get(ring, at, first);
                        if (n > first) {
                            src.get(ring, 0, n - first);
                        }
                        writePos += n;
                        if (markEnd != null) {
                            long t = Math.max(lastTime, System.nanoTime() + (long) (random.nextDouble() * delayNanos));
                            lastTime = t;
                            int slot = (markHead + markCount) % markEnd.length;
                            markEnd[slot] = writePos;
                            markTime[slot] = t;
                            markCount++;
                        }
                        readable.signalAll();
                        return n;
                    }
                    writable.await();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while writing");
            } finally {
                lock.unlock();
            }
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            if (!dst.hasRemaining()) {
                return 0;
            }
            lock.lock();
            try {
                while (true) {
                    if (readerClosed) {
                        throw new AsynchronousCloseException();
                    }
                    long visible = writePos;
                    long waitNanos = -1;
                    if (markEnd != null) {
                        long now = System.nanoTime();
                        while (markCount > 0 && markTime[markHead] - now <= 0 && markEnd[markHead] <= readPos) {
                            markHead = (markHead + 1) % markEnd.length;
                            markCount--;
                        }
                        visible = readPos;
                        for (int i = 0; i < markCount; i++) {
                            int slot = (markHead + i) % markEnd.length;
                            if (markTime[slot] - now > 0) {
                                waitNanos = markTime[slot] - now;
                                break;
                            }
                            visible = markEnd[slot];
                        }
                    }
                    long available = visible - readPos;
                    if (available > 0) {
                        int n = (int) Math.min(available, dst.remaining());
                        int at = (int) (readPos % ring.length);
                        int first = Math.min(n, ring.length - at);
                        dst.put(ring, at, first);
                        if (n > first) {
                            dst.put(ring, 0, n - first);
                        }
                        readPos += n;
                        if (markEnd != null) {
                            while (markCount > 0 && markEnd[markHead] <= readPos) {
                                markHead = (markHead + 1) % markEnd.length;
                                markCount--;
                            }
                        }
                        writable.signalAll();
                        return n;
                    }
                    if (writerDone && readPos == writePos) {
                        return -1;
                    }
                    if (waitNanos > 0) {
                        readable.awaitNanos(waitNanos);
                    } else {
                        readable.await();
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while reading");
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void shutdownWriter(boolean closing) {
            lock.lock();
            try {
                writerDone = true;
                if (closing) {
                    writerClosed = true;
                }
                readable.signalAll();
                writable.signalAll();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void closeReader() {
            lock.lock();
            try {
                readerClosed = true;
                readable.signalAll();
                writable.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /** One end of a connection. */
    private static final class End implements TransportChannel {
        private final Pipe in;
        private final Pipe out;
        private final String description;
        private volatile boolean open = true;

        End(Pipe in, Pipe out, String description) {
            this.in = in;
            this.out = out;
            this.description = description;
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            ensureOpen();
            return in.read(dst);
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            ensureOpen();
            return in.read(dsts, offset, length);
        }

        @Override
        public long read(ByteBuffer[] dsts) throws IOException {
            return read(dsts, 0, dsts.length);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            ensureOpen();
            return out.write(src);
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            ensureOpen();
            return out.write(srcs, offset, length);
        }

        @Override
        public long write(ByteBuffer[] srcs) throws IOException {
            return write(srcs, 0, srcs.length);
        }

        @Override
        public void shutdownOutput() {
            out.shutdownWriter(false);
        }

        private void ensureOpen() throws ClosedChannelException {
            if (!open) {
                throw new ClosedChannelException();
            }
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
            out.shutdownWriter(true);
            in.closeReader();
        }

        @Override
        public String description() {
            return description;
        }

        @Override
        public String toString() {
            return description;
        }
    }
}
