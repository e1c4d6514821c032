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
package io.multifd.core.channel;

import io.multifd.core.jfr.ChannelBlockedEvent;
import io.multifd.core.wire.ByteSource;
import io.multifd.core.session.Durations;

import io.multifd.api.ChannelTimeoutException;
import io.multifd.api.MultiFdException;
import io.multifd.api.ProtocolCode;
import io.multifd.api.spi.TransportChannel;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * One channel's blocking reads and writes, each bounded by the watchdog, with the stream offsets
 * that error messages need. Reads are confined to one thread and writes to one thread (which may
 * differ); {@link #close()} may be called from any thread.
 *
 * <p>Also measures the time spent inside the transport's calls ({@link #readBlockedNanos()},
 * {@link #writeBlockedNanos()}) and records a {@link ChannelBlockedEvent} for a call that blocked
 * longer than the event's threshold while a flight recording runs.
 */
public final class ChannelIo implements ByteSource, AutoCloseable {

    /** Only asked whether the event is enabled: shared, never committed. */
    private static final ChannelBlockedEvent BLOCKED = new ChannelBlockedEvent();
    /** Consecutive reads or writes that move no byte before the transport is blamed for spinning. */
    private static final int MAX_EMPTY_CALLS = 64;

    private final TransportChannel channel;
    private final Watchdog watchdog;
    private final Watchdog.Guard readGuard;
    private final Watchdog.Guard writeGuard;
    private final String side;
    private volatile int channelId;
    private volatile long readTimeoutNanos;
    private volatile long writeTimeoutNanos;
    /** Told of every read and write that moved bytes; null until the session's clock is set. */
    private volatile ProgressClock progress;
    private volatile long inOffset;
    private volatile long outOffset;
    private volatile boolean closed;
    // each written by the one thread that reads (writes) at a time, read by any
    private volatile long readNanos;
    private volatile long writeNanos;

    /**
     * @param channel      the transport, now owned by this object
     * @param watchdog     the watchdog that bounds calls
     * @param channelId    the channel id, or -1 until known
     * @param side         "sender" or "receiver", for messages
     * @param ioTimeout    the initial bound on each read and write
     */
    public ChannelIo(TransportChannel channel, Watchdog watchdog, int channelId, String side, Duration ioTimeout) {
        this.channel = channel;
        this.watchdog = watchdog;
        this.readGuard = watchdog.guard(channel);
        this.writeGuard = watchdog.guard(channel);
        this.channelId = channelId;
        this.side = side;
        this.readTimeoutNanos = ioTimeout.toNanos();
        this.writeTimeoutNanos = ioTimeout.toNanos();
    }

    /** Sets the channel id once it is known (receiver: after the hello). */
    public void channelId(int id) {
        this.channelId = id;
    }

    /**
     * Sets the bound on reads from now on.
     *
     * @param timeout how long one read may go without moving a byte
     */
    public void readTimeout(Duration timeout) {
        this.readTimeoutNanos = timeout.toNanos();
    }

    /**
     * Sets the bound on writes from now on (after the handshake: the I/O timeout).
     *
     * @param timeout how long one write may go without moving a byte
     */
    public void writeTimeout(Duration timeout) {
        this.writeTimeoutNanos = timeout.toNanos();
    }

    /**
     * Makes every read and write that moves bytes from now on tick the session's clock.
     *
     * @param clock the session's progress clock
     */
    public void progress(ProgressClock clock) {
        this.progress = clock;
    }

    private void moved(long n, long nowNanos) {
        ProgressClock c = progress;
        if (n > 0 && c != null) {
            c.tick(nowNanos);
        }
    }

    @Override
    public int channel() {
        return channelId;
    }

    @Override
    public long offset() {
        return inOffset;
    }

    /** True over this library's TLS transport (whose refusals can look like a closed connection). */
    public boolean tls() {
        return channel instanceof io.multifd.core.transport.tls.TlsChannel;
    }

    /** Bytes written so far. */
    public long outOffset() {
        return outOffset;
    }

    /** Nanoseconds spent inside the transport's read calls so far. Any thread. */
    public long readBlockedNanos() {
        return readNanos;
    }

    /** Nanoseconds spent inside the transport's write calls so far. Any thread. */
    public long writeBlockedNanos() {
        return writeNanos;
    }

    /** A begun event if a recording wants it, else null (no allocation). */
    private static ChannelBlockedEvent beginBlocked() {
        if (!BLOCKED.isEnabled()) {
            return null;
        }
        ChannelBlockedEvent e = new ChannelBlockedEvent();
        e.begin();
        return e;
    }

    private void endBlocked(ChannelBlockedEvent e, String direction, String what, long bytes) {
        e.end();
        if (e.shouldCommit()) {
            e.side = side;
            e.channel = channelId;
            e.direction = direction;
            e.operation = what;
            e.bytes = Math.max(0, bytes);
            e.transport = channel.description();
            e.commit();
        }
    }

    /** The transport's description. */
    public String description() {
        return channel.description();
    }

    private String where() {
        return channelId >= 0 ? "channel " + channelId : "connection " + channel.description();
    }

    @Override
    public void readFully(ByteBuffer dst, String what) throws IOException {
        int zeros = 0;
        while (dst.hasRemaining()) {
            int n = 0;
            readGuard.arm(readTimeoutNanos, what);
            ChannelBlockedEvent ev = beginBlocked();
            long t0 = System.nanoTime();
            try {
                n = channel.read(dst);
            } catch (IOException e) {
                throw translate(e, readGuard, "reading " + what);
            } finally {
                long t1 = System.nanoTime();
                readNanos += t1 - t0;
                moved(n, t1);
                readGuard.disarm();
                if (ev != null) {
                    endBlocked(ev, "read", what, n);
                }
            }
            if (n < 0) {
                throw new EOFException(where() + ": the peer closed the connection at stream offset "
                        + inOffset + " while the " + side + " was reading " + what);
            }
            zeros = n == 0 ? noProgress(zeros, "read", what) : 0;
            inOffset += n;
        }
    }

    /**
     * Fills {@code dst[off .. off+count)}, each from position to limit, {@code total} bytes in all,
     * with scattering reads.
     *
     * @param dst   the buffers
     * @param off   first index
     * @param count number of buffers
     * @param total bytes they can take in all
     * @param what  for messages
     * @throws IOException on end of stream, timeout or transport failure
     */
    public void readFully(ByteBuffer[] dst, int off, int count, long total, String what) throws IOException {
        int zeros = 0;
        long left = total;
        int first = off;
        int end = off + count;
        while (left > 0) {
            while (first < end && !dst[first].hasRemaining()) {
                first++;
            }
            long n = 0;
            readGuard.arm(readTimeoutNanos, what);
            ChannelBlockedEvent ev = beginBlocked();
            long t0 = System.nanoTime();
            try {
                n = channel.read(dst, first, end - first);
            } catch (IOException e) {
                throw translate(e, readGuard, "reading " + what);
            } finally {
                long t1 = System.nanoTime();
                readNanos += t1 - t0;
                moved(n, t1);
                readGuard.disarm();
                if (ev != null) {
                    endBlocked(ev, "read", what, n);
                }
            }
            if (n < 0) {
                throw new EOFException(where() + ": the peer closed the connection at stream offset "
                        + inOffset + " while the " + side + " was reading " + what);
            }
            zeros = n == 0 ? noProgress(zeros, "read", what) : 0;
            inOffset += n;
            left -= n;
        }
    }

    /**
     * Writes {@code src[off .. off+count)}, each from position to limit, with gathering writes.
     * Positions advance. With a rate limiter, writes at most one chunk per grant.
     *
     * @param src     the buffers
     * @param off     first index
     * @param count   number of buffers
     * @param total   bytes remaining in them
     * @param limiter the bandwidth cap, or null; its rate is read before each chunk
     * @param aborted polled while waiting for bandwidth
     * @param what    for messages
     * @throws IOException on timeout or transport failure
     */
    public void writeFully(ByteBuffer[] src, int off, int count, long total, RateLimiter limiter,
                           BooleanSupplier aborted, String what) throws IOException {
        int zeros = 0;
        long left = total;
        int first = off;
        int end = off + count;
        while (left > 0) {
            while (first < end && !src[first].hasRemaining()) {
                first++;
            }
            if (first == end) { // never spin on empty writes: a buffer was moved under us
                throw new IllegalStateException(where() + ": the " + what + "'s buffers hold " + left
                        + " bytes fewer than announced (a buffer's position or limit changed while it was written)");
            }
            if (limiter == null || limiter.unlimited()) {
                long n = writeOnce(src, first, end - first, what);
                zeros = n == 0 ? noProgress(zeros, "write", what) : 0;
                left -= n;
                continue;
            }
            // Cap this write at one chunk: lower the limit of the buffer where the chunk ends.
            int grant = (int) Math.min(left, limiter.chunk());
            ProgressClock clock = progress;
            if (clock != null) {
                clock.throttleBegin();
            }
            try {
                limiter.acquire(grant, aborted);
            } finally {
                if (clock != null) {
                    clock.throttleEnd(System.nanoTime());
                }
            }
            int last = first;
            long acc = 0;
            while (true) {
                int r = src[last].remaining();
                if (acc + r >= grant) {
                    break;
                }
                acc += r;
                last++;
            }
            ByteBuffer cut = src[last];
            int savedLimit = cut.limit();
            cut.limit(cut.position() + (int) (grant - acc));
            try {
                long done = 0;
                while (done < grant) {
                    while (!src[first].hasRemaining()) {
                        first++;
                    }
                    long n = writeOnce(src, first, last - first + 1, what);
                    zeros = n == 0 ? noProgress(zeros, "write", what) : 0;
                    done += n;
                }
            } finally {
                cut.limit(savedLimit);
            }
            left -= grant;
        }
    }

    /**
     * Writes one buffer fully.
     *
     * @param src  the buffer, from position to limit
     * @param what for messages
     * @throws IOException on timeout or transport failure
     */
    public void writeFully(ByteBuffer src, String what) throws IOException {
        int zeros = 0;
        while (src.hasRemaining()) {
            writeGuard.arm(writeTimeoutNanos, what);
            int n = 0;
            ChannelBlockedEvent ev = beginBlocked();
            long t0 = System.nanoTime();
            try {
                n = channel.write(src);
            } catch (IOException e) {
                throw translate(e, writeGuard, "writing " + what);
            } finally {
                long t1 = System.nanoTime();
                writeNanos += t1 - t0;
                moved(n, t1);
                writeGuard.disarm();
                if (ev != null) {
                    endBlocked(ev, "write", what, n);
                }
            }
            zeros = n == 0 ? noProgress(zeros, "write", what) : 0;
            outOffset += n;
        }
    }

    /**
     * Counts a read or write that moved no byte. A transport must block until at least one byte
     * moves; one that keeps returning 0 (a non-blocking channel behind the SPI) would make this
     * loop spin at full CPU while re-arming its own timeout, so a short run of them is tolerated
     * and a long one is named as the transport's fault.
     *
     * @return the new count of consecutive empty calls
     */
    private int noProgress(int zeros, String op, String what) {
        if (zeros + 1 >= MAX_EMPTY_CALLS) {
            throw new IllegalStateException(where() + ": transport " + channel.description() + " returned 0 from "
                    + MAX_EMPTY_CALLS + " blocking " + op + "s in a row while the " + side + " was "
                    + (op.equals("read") ? "reading " : "writing ") + what
                    + " (a transport's read and write must block until at least one byte moves)");
        }
        return zeros + 1;
    }

    private long writeOnce(ByteBuffer[] src, int first, int count, String what) throws IOException {
        writeGuard.arm(writeTimeoutNanos, what);
        long n = 0;
        ChannelBlockedEvent ev = beginBlocked();
        long t0 = System.nanoTime();
        try {
            n = channel.write(src, first, count);
        } catch (IOException e) {
            throw translate(e, writeGuard, "writing " + what);
        } finally {
            long t1 = System.nanoTime();
            writeNanos += t1 - t0;
            moved(n, t1);
            writeGuard.disarm();
            if (ev != null) {
                endBlocked(ev, "write", what, n);
            }
        }
        outOffset += n;
        return n;
    }

    private IOException translate(IOException e, Watchdog.Guard guard, String doing) {
        if (guard.fired()) {
            long nanos = guard == readGuard ? readTimeoutNanos : writeTimeoutNanos;
            return new ChannelTimeoutException(where() + ": no progress for "
                    + Durations.format(nanos) + " while the " + side + " was " + doing
                    + " (" + channel.description() + ")", e);
        }
        if (e instanceof MultiFdException || e instanceof java.io.InterruptedIOException
                || e instanceof javax.net.ssl.SSLHandshakeException) {
            // a TLS refusal met after the handshake (TLS 1.3) stays what it is, as when met in it
            return e;
        }
        // A transport failure (reset, broken pipe, closed): say where and while doing what.
        String what = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        // a TLS record that does not decrypt is a damaged stream, not a lost connection
        ProtocolCode code = e instanceof javax.net.ssl.SSLException ? ProtocolCode.MALFORMED : ProtocolCode.TRANSPORT;
        return new MultiFdException(code, where() + ": " + what + " while the " + side + " was "
                + doing + " (" + channel.description() + ")", e);
    }

    private boolean closedByWatchdog() {
        return readGuard.fired() || writeGuard.fired();
    }

    /** True if the watchdog closed this channel because of a forced close after a failure. */
    public boolean forced() {
        return readGuard.forced() || writeGuard.forced();
    }

    /**
     * Makes the watchdog close this channel after a grace period, whatever happens.
     *
     * @param nanos grace period
     */
    public void forceCloseAfter(long nanos) {
        readGuard.forceCloseAt(nanos);
    }

    /**
     * Cancels a {@link #forceCloseAfter forced close} that has not come due. Any thread.
     *
     * @return false if it already came due (the channel is closed or being closed)
     */
    public boolean cancelForceClose() {
        return readGuard.cancelForceClose();
    }

    /**
     * Tells the transport that this connection's hello was accepted into a session (see
     * {@link TransportChannel#admitted()}); the handshaking thread.
     *
     * @throws IOException naming why the transport refuses the connection
     */
    public void admitted() throws IOException {
        channel.admitted();
    }

    /**
     * After a refusal was written and the output shut: reads and discards what the peer still
     * sends until it closes, at most {@code maxBytes}, so that closing does not reset the
     * connection (a reset can destroy the refusal before the peer reads it). Bounded by a
     * {@link #forceCloseAfter forced close} set before; never throws.
     *
     * @param maxBytes the most bytes to discard
     */
    public void drainUntilPeerCloses(long maxBytes) {
        ByteBuffer sink = ByteBuffer.allocate(8192);
        long drained = 0;
        try {
            int n;
            while (drained < maxBytes && (n = channel.read(sink.clear())) >= 0) {
                drained += n;
            }
        } catch (IOException | RuntimeException e) {
            // the peer reset, or the forced close came due: either way the refusal is done
        }
    }

    /** Ends the outbound direction, ignoring failures. */
    public void shutdownOutput() {
        try {
            channel.shutdownOutput();
        } catch (IOException | RuntimeException e) {
            // the channel is going away anyway
        }
    }

    /** True once {@link #close()} was called. */
    public boolean isClosed() {
        return closed;
    }

    /** Closes the transport; idempotent, any thread. */
    @Override
    public void close() {
        closed = true;
        try {
            channel.close();
        } catch (IOException e) {
            // nothing more to do
        }
        watchdog.remove(readGuard);
        watchdog.remove(writeGuard);
    }
}
