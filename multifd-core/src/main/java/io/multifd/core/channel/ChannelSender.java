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

import io.multifd.api.CodecOptions;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.MultiFdException;
import io.multifd.api.ProtocolCode;
import io.multifd.api.RemoteFailureException;
import io.multifd.api.SendData;
import io.multifd.api.SessionId;
import io.multifd.api.spi.Codec;
import io.multifd.api.spi.PayloadPlugin;
import io.multifd.api.spi.TransportConnector;
import io.multifd.core.session.PayloadCounters;
import io.multifd.core.session.Reasons;
import io.multifd.core.session.ReturnRoutes;
import io.multifd.core.session.SessionThreads;
import io.multifd.core.session.ThreadJoins;
import io.multifd.core.wire.Manifest;
import io.multifd.core.wire.Reply;
import io.multifd.core.wire.Wire;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * One sending channel and its thread {@code multifd-send-<session>-ch<id>}: connects and
 * handshakes ({@link SenderHandshake}), then writes a packet for every slot handed to its {@link SlotHandoff.Mailbox}, and
 * SYNC markers, keepalives, EOS and COMMIT when the session asks; its reply thread
 * ({@link ReplyReader}) reads the receiver's replies. Where it stands is one {@link Phase}.
 *
 * <p>Threads: the session calls {@link #requestSync()}, {@link #requestEos()} and
 * {@link #requestCommit()} holding its lock; {@link #phase()}, the counters and
 * {@link #completedReply()} from any thread (volatile); everything else runs on the channel thread.
 */
public final class ChannelSender implements SyncCounters {

    private static final System.Logger LOG = System.getLogger("io.multifd.core.MultiFdSender");
    private static final long NO_TIMEOUT = TimeUnit.DAYS.toNanos(3650);

    /**
     * Where a sending channel stands. Only the channel thread changes it; every change that a
     * session waits for is followed by {@link Host#progressed()}.
     *
     * <pre>
     * CONNECTING --hello written--> HELLO_SENT --HELLO_ACCEPT, channel 0--> MANIFEST_SENT
     * HELLO_SENT --HELLO_ACCEPT, other channels--> READY
     * MANIFEST_SENT --MANIFEST_ACCEPT--> READY
     * READY --connect() returned--> STREAMING      (packets, SYNC markers, keepalives)
     * STREAMING --EOS requested and written--> EOS_SENT
     * EOS_SENT --COMMIT requested and written, output shut--> COMMITTED
     * CONNECTING .. EOS_SENT --failure (here or on another channel)--> FAILED
     * COMMITTED --connection closed--> CLOSED
     * FAILED --ABORT written if useful, connection closed--> CLOSED
     * </pre>
     *
     * A refused hello or manifest, a transport error or a timeout in any phase fails the
     * migration, and with it the channel. SYNC markers and keepalives do not change the phase.
     * docs/protocol.md, "Sender channel states", draws the same diagram.
     */
    public enum Phase {
        /** The thread connects the transport. */
        CONNECTING,
        /** The hello is written; waiting for HELLO_ACCEPT. */
        HELLO_SENT,
        /** Channel 0 only: the manifest is written; waiting for MANIFEST_ACCEPT. */
        MANIFEST_SENT,
        /** Handshake done; waiting until every channel is ready and {@code connect()} returns. */
        READY,
        /** Writing packets for handed slots, SYNC markers and keepalives. */
        STREAMING,
        /** EOS is written; waiting for the commit request (after the receiver's COMPLETED). */
        EOS_SENT,
        /** COMMIT is written and the output shut down: this channel is done. */
        COMMITTED,
        /** The migration failed; the channel stops (telling the receiver why, where useful). */
        FAILED,
        /** The thread released everything and ended, from COMMITTED or FAILED. */
        CLOSED
    }

    /**
     * What a channel needs from its session. Implemented by the session; all methods any thread.
     */
    public interface Host {
        /** @return true once the migration failed (a volatile read, for hot paths) */
        boolean failed();

        /** @return the migration's first error, or null */
        Throwable firstError();

        /** @param cause fails the migration with this, unless it already failed */
        void fail(Throwable cause);

        /**
         * Fails with a local transport error, but first waits the grace period for the
         * receiver's ERROR on another channel, which names the real cause.
         *
         * @param local the local error
         */
        void failAfterGrace(Throwable local);

        /**
         * Waits until every channel is ready and the session starts streaming.
         *
         * @return false if the migration failed instead
         * @throws InterruptedException if interrupted
         */
        boolean awaitStreaming() throws InterruptedException;

        /** A channel's phase, sync count or COMPLETED changed: wakes the session's waiters. */
        void progressed();
    }

    /**
     * The session-wide facts every channel uses, fixed at {@code connect()}.
     *
     * @param config       the configuration
     * @param connector    how to reach the receiver
     * @param sessionId    the session
     * @param channelCount the number of channels
     * @param codec        the session's codec
     * @param codecOptions its options
     * @param manifest     the manifest channel 0 sends
     * @param plugins      the payload plug-ins, in registry order
     * @param counters     their counters, same order
     * @param watchdog     bounds every read and write
     * @param limiter      the bandwidth cap, or null
     * @param graceNanos   how long a failing channel may still drain before it is closed
     * @param threads      makes the channel and reply threads
     * @param progress     the session's progress clock, ticked by every channel's reads and writes
     * @param routes       the return-path handlers (the hello asks for a return path if there are any)
     */
    public record Setup(MultiFdConfig config, TransportConnector connector, SessionId sessionId, int channelCount,
                        Codec codec, CodecOptions codecOptions, Manifest manifest, PayloadPlugin<?>[] plugins,
                        PayloadCounters[] counters, Watchdog watchdog, RateLimiter limiter, long graceNanos,
                        SessionThreads threads, ProgressClock progress, ReturnRoutes routes) {
    }

    private final int id;
    private final Setup setup;
    private final Host host;
    private final Thread thread;
    private final SlotHandoff.Mailbox mailbox;
    private final PacketWriter writer;
    private volatile Thread replyThread;
    private volatile ChannelIo io;
    private volatile Phase phase = Phase.CONNECTING;
    /** Written only under the session's lock (so a plain increment of the volatile is safe). */
    private volatile long syncRequested;
    /**
     * The furthest phase the session asked for: STREAMING, then EOS_SENT, then COMMITTED. Set
     * under the session's lock; the channel thread gets there one step at a time.
     */
    private volatile Phase goal = Phase.STREAMING;
    private volatile Reply completed;

    /**
     * Makes the channel and its (not yet started) thread.
     *
     * @param id      the channel id
     * @param setup   the session-wide facts
     * @param host    the session
     * @param handoff the session's slot hand-off, which gets this channel's mailbox
     * @param failed  true once the migration failed; made once per session
     */
    public ChannelSender(int id, Setup setup, Host host, SlotHandoff handoff, BooleanSupplier failed) {
        this.id = id;
        this.setup = setup;
        this.host = host;
        this.thread = setup.threads().newThread(this::run, "ch" + id);
        this.mailbox = handoff.mailbox(id, thread);
        this.writer = new PacketWriter(id, setup.channelCount(), setup.config(), setup.plugins(), setup.counters(),
                setup.limiter(), failed);
    }

    // ---- the session's side

    /** @return the channel id */
    public int id() {
        return id;
    }

    /** @return the mailbox clients hand slots to */
    public SlotHandoff.Mailbox mailbox() {
        return mailbox;
    }

    /** Starts the channel thread. Once, by the connecting thread. */
    public void start() {
        thread.start();
    }

    /** @return the current phase; any thread */
    public Phase phase() {
        return phase;
    }

    /** @return true once the handshake succeeded and the channel did not fail or end since */
    public boolean ready() {
        Phase p = phase;
        return p.compareTo(Phase.READY) >= 0 && p.compareTo(Phase.COMMITTED) <= 0;
    }

    /** @return true once EOS is written (and the channel did not fail since) */
    public boolean eosWritten() {
        Phase p = phase;
        return p == Phase.EOS_SENT || p == Phase.COMMITTED;
    }

    /** @return true once COMMIT is written or the thread ended */
    public boolean committedOrClosed() {
        Phase p = phase;
        return p == Phase.COMMITTED || p == Phase.CLOSED;
    }

    /** Asks for one more SYNC marker. Session lock held. */
    public void requestSync() {
        syncRequested = syncRequested + 1; // single writer: the lock holder
        wake();
    }

    /** @return SYNC markers requested so far */
    public long syncsRequested() {
        return syncRequested;
    }

    /** Asks for EOS after everything handed so far. Session lock held. */
    public void requestEos() {
        goal = Phase.EOS_SENT;
        wake();
    }

    /** Asks for COMMIT (after EOS); the commit point is passed. Session lock held. */
    public void requestCommit() {
        goal = Phase.COMMITTED;
        wake();
    }

    /** @return true once EOS was requested (a COMPLETED before that is malformed) */
    boolean endRequested() {
        return goal != Phase.STREAMING;
    }

    /** The session-wide facts this channel was made with. */
    Setup setup() {
        return setup;
    }

    /** The reply thread got COMPLETED. */
    void completed(Reply r) {
        completed = r;
        host.progressed();
    }

    /** @return the receiver's COMPLETED reply, or null before it arrived */
    public Reply completedReply() {
        return completed;
    }

    /** @return data packets written */
    public long packets() {
        return writer.packets();
    }

    /** @return raw data bytes written */
    public long rawBytes() {
        return writer.rawBytes();
    }

    /** @return bytes written on the wire, handshake included */
    public long wireBytes() {
        return writer.wireBytes();
    }

    /** @return SYNC markers written */
    public long syncs() {
        return writer.syncs();
    }

    /** @return data packets written before the last SYNC (read {@link #syncs()} first) */
    @Override
    public long packetsAtSync() {
        return writer.packetsAtSync();
    }

    /** @return raw bytes written before the last SYNC (read {@link #syncs()} first) */
    @Override
    public long rawBytesAtSync() {
        return writer.rawAtSync();
    }

    /** @return wire bytes written up to the last SYNC (read {@link #syncs()} first) */
    @Override
    public long wireBytesAtSync() {
        return writer.wireAtSync();
    }

    /** @return nanoseconds blocked in the transport's writes */
    public long writeBlockedNanos() {
        ChannelIo c = io;
        return c == null ? 0 : c.writeBlockedNanos();
    }

    /** @return nanoseconds blocked in the transport's reads (the receiver's replies) */
    public long readBlockedNanos() {
        ChannelIo c = io;
        return c == null ? 0 : c.readBlockedNanos();
    }

    /** Unparks the channel thread so that it looks at its requests again. Any thread. */
    public void wake() {
        LockSupport.unpark(thread);
    }

    /**
     * The migration failed: wakes the thread, has the connection closed after the grace period,
     * and interrupts a thread still connecting. Any thread.
     */
    public void onSessionFailed() {
        wake();
        ChannelIo c = io;
        if (c != null) {
            c.forceCloseAfter(setup.graceNanos());
        }
        Phase p = phase;
        if (p == Phase.CONNECTING || p == Phase.HELLO_SENT || p == Phase.MANIFEST_SENT) {
            thread.interrupt();
        }
    }

    /**
     * Waits until the channel thread ended or the deadline passed. Any thread but the channel's own.
     *
     * @param deadlineNanos a {@link System#nanoTime()} deadline
     */
    public void joinChannelThread(long deadlineNanos) {
        ThreadJoins.join(thread, deadlineNanos);
    }

    /**
     * Closes the connection (which ends a blocked reply read) and waits for the reply thread
     * until the deadline. Any thread but the channel's own.
     *
     * @param deadlineNanos a {@link System#nanoTime()} deadline
     * @return true if the channel thread and the reply thread both ended
     */
    public boolean closeAndJoinReplyThread(long deadlineNanos) {
        ChannelIo c = io;
        if (c != null) {
            c.close();
        }
        boolean replyEnded = ThreadJoins.join(replyThread, deadlineNanos);
        return replyEnded && !thread.isAlive();
    }

    // ---- the channel thread

    private void run() {
        try {
            connectAndHandshake();
            // replies are read from now on, while the other channels connect: a receiver that
            // fails meanwhile (a plug-in's openChannel threw) says why on this connection
            Thread rt = setup.threads().newThread(new ReplyReader(this, io, host), "ch" + id + "-reply");
            replyThread = rt;
            rt.start();
            if (!host.awaitStreaming()) {
                phase = Phase.FAILED;
                writeAbortIfUseful(); // the handshake succeeded: tell the receiver why we stop
                return;
            }
            writer.startStreaming(setup.codec(), setup.codecOptions());
            phase = Phase.STREAMING;
            loop();
        } catch (Throwable t) {
            boolean streaming = phase == Phase.STREAMING;
            onError(t);
            if (streaming && !isTransportFailure(t)) {
                // The failure is not this connection's (a plug-in's prepare threw, the session was
                // cancelled while the bandwidth cap held a packet back): the connection still
                // works, so the receiver is told why instead of seeing the stream end.
                writeAbortIfUseful();
            }
        } finally {
            close();
        }
    }

    private void connectAndHandshake() throws IOException {
        MultiFdConfig config = setup.config();
        if (Thread.interrupted() || host.failed()) {
            throw new InterruptedIOException("aborted before connecting");
        }
        ChannelIo c = SenderHandshake.run(id, setup, host, open -> io = open, reached -> phase = reached);
        // From here on the receiver replies only at the end (its COMPLETED is bounded by the finish
        // timeout), while every write is bounded by the I/O timeout, not the handshake's.
        c.readTimeout(Duration.ofNanos(NO_TIMEOUT));
        c.writeTimeout(config.ioTimeout());
        c.progress(setup.progress());
        writer.handshakeWritten(c);
        phase = Phase.READY;
        host.progressed();
    }

    /**
     * Waits for work and does it: a job (one packet), then the requests. Parks between (no lock,
     * no allocation); clients and the session unpark it. The requests are read before the job:
     * a client that handed over a job and then asked for a sync published the job first, so
     * whoever sees the sync request also sees the job, which goes out first.
     */
    private void loop() throws IOException {
        long keepaliveNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(10), setup.config().ioTimeout().toNanos() / 3);
        long lastWrite = System.nanoTime();
        while (true) {
            long sreq = syncRequested;
            Phase target = goal;
            SendData job = mailbox.job();
            if (host.failed()) {
                phase = Phase.FAILED;
                writeAbortIfUseful();
                return;
            }
            Phase p = phase;
            if (job != null) {
                if (p != Phase.STREAMING) { // finish() waits for every send(): never happens
                    throw new IllegalStateException("channel " + id + ": a slot was handed over after end of stream");
                }
                writer.writeJob(job);
                mailbox.done();
            } else if (sreq > writer.syncs()) {
                writer.writeSync();
                host.progressed();
            } else if (target != Phase.STREAMING && p == Phase.STREAMING) {
                writer.writeEos();
                phase = Phase.EOS_SENT;
                host.progressed();
            } else if (target == Phase.COMMITTED && p == Phase.EOS_SENT) {
                writer.writeCommit();
                io.shutdownOutput();
                phase = Phase.COMMITTED;
                host.progressed();
                return;
            } else {
                long now = System.nanoTime();
                if (p == Phase.STREAMING && now - lastWrite >= keepaliveNanos) {
                    writer.writeKeepalive();
                } else {
                    LockSupport.parkNanos(this, p == Phase.EOS_SENT ? NO_TIMEOUT : keepaliveNanos - (now - lastWrite));
                    if (Thread.interrupted()) {
                        throw new InterruptedIOException("channel " + id + " interrupted");
                    }
                    continue;
                }
            }
            lastWrite = System.nanoTime();
        }
    }

    /**
     * True for a failure of the connection itself (reset, end of stream, closed, a write that
     * timed out: what {@link ChannelIo} reports for its transport): no ABORT can get through it.
     * Anything else (an interrupted wait, an exception of a plug-in or codec, even an
     * IOException) leaves the connection usable; an ABORT tried on a connection that is broken
     * after all only fails, bounded by the grace period.
     */
    private static boolean isTransportFailure(Throwable t) {
        if (t instanceof MultiFdException m) {
            return m.code() == ProtocolCode.TRANSPORT || m.code() == ProtocolCode.TIMEOUT;
        }
        return t instanceof java.io.EOFException || t instanceof java.nio.channels.ClosedChannelException
                || t instanceof java.net.SocketException || t instanceof java.net.SocketTimeoutException;
    }

    /**
     * After a failure: tells the receiver why, unless it is the receiver that failed. A packet
     * left half written (the failure came in the middle of it) is completed first, so that the
     * ABORT starts at a packet boundary; both writes are bounded by the forced close after the
     * grace period.
     */
    private void writeAbortIfUseful() {
        Throwable cause = host.firstError();
        ChannelIo c = io;
        if (cause instanceof RemoteFailureException || c == null || c.isClosed()) {
            return;
        }
        // The session may have interrupted this thread to stop its handshake just as it reached
        // READY; an interruptible channel would then close on the ABORT write and the receiver
        // would never learn why. The write is bounded by the forced close below, so the interrupt
        // is set aside for it and restored after.
        boolean interrupted = Thread.interrupted();
        try {
            c.forceCloseAfter(setup.graceNanos());
            writer.finishInterruptedPacket();
            writer.writeAbort(Reply.truncate(Reasons.of(cause), Wire.MAX_ABORT_MESSAGE));
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "channel " + id + ": could not write ABORT: " + e);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void onError(Throwable t) {
        phase = Phase.FAILED;
        if (host.failed()) {
            return;
        }
        if (t instanceof IOException && (!(t instanceof MultiFdException)
                || ((MultiFdException) t).code() == ProtocolCode.TRANSPORT)) {
            host.failAfterGrace(t); // often the echo of the receiver's failure: let its ERROR arrive
            return;
        }
        if (t instanceof Error e && !(t instanceof LinkageError) && !(t instanceof OutOfMemoryError)) {
            host.fail(new MultiFdException(ProtocolCode.FAILED, "channel " + id + ": " + e, e));
        } else {
            host.fail(t);
        }
    }

    /** The channel thread's last act: releases the encoders and the connection, then CLOSED. */
    private void close() {
        writer.close(LOG);
        ChannelIo c = io;
        if (c != null) {
            if (host.failed()) {
                c.shutdownOutput();
            }
            // Let the reply thread drain what the receiver still sends (a closed socket with
            // unread bytes resets the connection, which can destroy the receiver's last
            // message), bounded by the grace period; then close.
            Thread rt = replyThread;
            if (rt != null) {
                c.forceCloseAfter(setup.graceNanos());
                ThreadJoins.join(rt, System.nanoTime() + setup.graceNanos() + TimeUnit.MILLISECONDS.toNanos(200));
            }
            c.close();
        }
        phase = Phase.CLOSED;
        mailbox.exit();
        host.progressed();
    }

    @Override
    public String toString() {
        return "ChannelSender[" + id + ", " + phase + "]";
    }
}
