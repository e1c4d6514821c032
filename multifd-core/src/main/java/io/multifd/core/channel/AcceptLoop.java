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

import io.multifd.api.ChannelTimeoutException;
import io.multifd.api.MalformedPacketException;
import io.multifd.api.MigrationFailedException;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.ProtocolCode;
import io.multifd.api.spi.ConnectionRefusedException;
import io.multifd.api.spi.TransportChannel;
import io.multifd.api.spi.TransportListener;
import io.multifd.core.jfr.ConnectionRefusedEvent;
import io.multifd.core.session.Durations;
import io.multifd.core.session.FailureLatch;
import io.multifd.core.session.HelloValidator;
import io.multifd.core.session.Reasons;
import io.multifd.core.session.SessionSoFar;
import io.multifd.core.session.SessionThreads;
import io.multifd.core.session.SessionTerms;
import io.multifd.core.wire.Hello;
import io.multifd.api.spi.PeerText;
import io.multifd.core.wire.Reply;
import io.multifd.core.wire.Wire;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The receiver's accept loop and its admission rule: a connection becomes a channel only once its
 * hello matched the session, and a connection that has not proved itself never fails the
 * migration.
 *
 * <p>The coordinating thread only accepts. Each accepted connection is handshaken on its own
 * short-lived thread (from the session's {@link SessionThreads}, role {@code handshake}), with its
 * own deadline ({@link MultiFdConfig#handshakeTimeout()}): it reads the hello and asks the
 * {@link HelloValidator}. The first hello the validator accepts fixes the session (its id,
 * channel count, codec and version); without TLS, "authenticated" means exactly that: the hello
 * matches the session so far. A connection that closes, stalls, sends garbage, fails TLS, or
 * carries a hello that does not match is logged once (WARNING, peer address and escaped reason),
 * answered with HELLO_REFUSE where it sent a hello, and dropped; the receiver goes on accepting.
 * At most {@link MultiFdConfig#maxPendingConnections()} connections are handshaken at a time;
 * one beyond is closed at once (and logged once). Only the accepted channels and the receiver's own
 * {@link MultiFdConfig#acceptTimeout()} can fail the migration here. Once every channel is in the
 * listener is closed, which also ends the coordinating thread's accept.
 *
 * <p>{@link #run()} runs on the coordinating thread; the session so far is guarded by a lock that
 * the handshake threads take to decide.
 */
public final class AcceptLoop {

    private static final System.Logger LOG = System.getLogger("io.multifd.core.MultiFdReceiver");
    /** A dropped connection's reason is mostly our own text (a TLS failure names the certificate): keep it whole. */
    private static final int MAX_REASON_CHARS = 1000;

    /** What the receiver does with an accepted hello. */
    public interface Session {
        /**
         * Called once, with the terms the first accepted hello fixed, before its channel is made;
         * on the handshake thread of that hello, under the loop's lock.
         *
         * @param terms the session terms
         */
        void started(SessionTerms terms);

        /**
         * Makes the channel for an accepted hello (its thread not started); on the handshake
         * thread of that hello, under the loop's lock.
         *
         * @param id the channel id
         * @param io its connection
         * @return the channel
         */
        ReceiveChannel channel(int id, ChannelIo io);
    }

    private final MultiFdConfig config;
    private final TransportListener transport;
    private final Watchdog watchdog;
    private final HelloValidator validator;
    private final ChannelTable table;
    private final FailureLatch latch;
    private final FailureFanOut failures;
    private final long graceNanos;
    private final SessionThreads threads;
    private final Session session;
    private final Semaphore pendingSlots;
    private final ReentrantLock lock = new ReentrantLock();
    // guarded by lock
    private SessionSoFar soFar = SessionSoFar.EMPTY;
    private String lastDrop;

    /**
     * @param config     the receiver's configuration (its accept and handshake timeouts, its cap on
     *                   pending connections)
     * @param transport  where the channels arrive; closed here once every channel is in
     * @param watchdog   bounds every read and write
     * @param validator  decides on each hello
     * @param table      where connections and channels are recorded
     * @param latch      the migration's first error
     * @param failures   fails the migration
     * @param graceNanos how long a refused connection may still be read before it is closed by force
     * @param threads    makes the handshake threads
     * @param session    makes the session's parts and channels
     */
    public AcceptLoop(MultiFdConfig config, TransportListener transport, Watchdog watchdog, HelloValidator validator,
                      ChannelTable table, FailureLatch latch, FailureFanOut failures, long graceNanos,
                      SessionThreads threads, Session session) {
        this.config = config;
        this.transport = transport;
        this.watchdog = watchdog;
        this.validator = validator;
        this.table = table;
        this.latch = latch;
        this.failures = failures;
        this.graceNanos = graceNanos;
        this.threads = threads;
        this.session = session;
        this.pendingSlots = new Semaphore(config.maxPendingConnections());
    }

    /**
     * Accepts every channel. Coordinating thread only; called once.
     *
     * @return the session terms, once every channel was accepted and its thread started
     * @throws ChannelTimeoutException  if not every channel connected in time (the message names
     *                                  the last connection dropped, if any)
     * @throws MigrationFailedException if the migration failed meanwhile
     * @throws IOException              a failure of the transport listener
     */
    public SessionTerms run() throws IOException {
        long deadline = System.nanoTime() + config.acceptTimeout().toNanos();
        while (true) {
            latch.throwIfFailed("accepting channels");
            SessionSoFar now = sessionSoFar();
            if (now.complete()) {
                return now.terms();
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw timedOut(now);
            }
            TransportChannel tc;
            try {
                tc = transport.accept(Duration.ofNanos(left));
            } catch (ChannelTimeoutException e) {
                continue; // the loop reports the timeout with the channel counts
            } catch (ConnectionRefusedException e) {
                drop(e.connection(), e.getMessage()); // the listener's own rule; it goes on listening
                continue;
            } catch (IOException e) {
                now = sessionSoFar();
                if (now.complete()) {
                    return now.terms(); // the last handshake closed the listener
                }
                latch.throwIfFailed("accepting channels");
                throw e;
            }
            ChannelIo io = new ChannelIo(tc, watchdog, -1, "receiver", config.handshakeTimeout());
            if (!pendingSlots.tryAcquire()) {
                drop(io, "more than " + config.maxPendingConnections()
                        + " connections awaiting their handshake (maxPendingConnections)");
                io.close();
                continue;
            }
            if (!table.addPending(io, latch)) {
                pendingSlots.release();
                recordRefused("dropped", io.description(), -1, "the migration had already failed");
                io.close();
                latch.throwIfFailed("accepting channels");
            }
            Thread t;
            try {
                t = threads.newThread(() -> handshake(io), "handshake");
            } catch (RuntimeException e) {
                table.removePending(io);
                pendingSlots.release();
                // say why to whoever connected (the sender, most likely), rather than close silently:
                // a silent close looks like a full admission cap, which a sender retries until its timeout
                try {
                    io.forceCloseAfter(graceNanos); // closed then: an immediate close with the hello unread
                    io.writeFully(Reply.failure(Wire.REPLY_ERROR, ProtocolCode.FAILED, // would reset the ERROR away
                            "the receiver cannot start a thread for this connection: " + Reasons.of(e)).encode(), "ERROR");
                    io.shutdownOutput();
                } catch (IOException | RuntimeException x) {
                    LOG.log(System.Logger.Level.DEBUG, "could not send the error: " + x);
                    io.close();
                }
                throw e;
            }
            t.start();
        }
    }

    private SessionSoFar sessionSoFar() {
        lock.lock();
        try {
            return soFar;
        } finally {
            lock.unlock();
        }
    }

    private ChannelTimeoutException timedOut(SessionSoFar now) {
        String last;
        lock.lock();
        try {
            last = lastDrop;
        } finally {
            lock.unlock();
        }
        return new ChannelTimeoutException(now.accepted().size() + " of "
                + (now.terms() == null ? "the expected" : String.valueOf(now.terms().channelCount()))
                + " channels connected within " + Durations.format(config.acceptTimeout()) + " ("
                + transport.description() + ")" + (last == null ? "" : "; the last connection dropped: " + last));
    }

    /** A handshake thread: reads one hello, decides, answers; never fails the migration. */
    private void handshake(ChannelIo io) {
        boolean admitted = false;
        // one deadline for the whole admission (TLS handshake and hello), however the peer
        // trickles its bytes: each read's own deadline alone would let a byte per timeout go on
        io.forceCloseAfter(config.handshakeTimeout().toNanos());
        try {
            Hello h;
            try {
                h = Hello.read(io);
            } catch (MalformedPacketException e) {
                refuse(io, e);
                return;
            } catch (IOException | RuntimeException e) {
                if (!latch.failed()) {
                    drop(io, io.forced() ? notInTime()
                            : e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
                }
                io.close();
                return;
            }
            admitted = admit(io, h);
        } catch (Throwable t) {
            failures.fail(t, io); // a defect or a failure of an accepted channel's start
        } finally {
            pendingSlots.release();
            if (!admitted && !io.isClosed()) {
                // refused, the refusal written: a sender writes its manifest right after its hello,
                // and closing with it unread would reset the connection, which can reach the
                // sender before the refusal does. So read until it closes, without holding a
                // pending slot; the grace the refusal set, the session completing (strays are
                // closed then) or the receiver closing ends the wait.
                io.drainUntilPeerCloses(1 << 20);
                io.close();
            }
            if (!admitted) {
                table.removePending(io);
            }
        }
    }

    private String notInTime() {
        return "no complete hello within the handshake timeout " + Durations.format(config.handshakeTimeout());
    }

    /** Decides on a hello under the lock; true once its channel's thread started. */
    private boolean admit(ChannelIo io, Hello h) throws IOException {
        HelloValidator.Refused refused = null;
        MalformedPacketException transportRefused = null;
        lock.lock();
        try {
            if (!latch.failed()) {
                HelloValidator.Verdict verdict = validator.check(h, soFar);
                if (!io.cancelForceClose()) {
                    drop(io, notInTime());
                    io.close();
                    return false;
                }
                if (verdict instanceof HelloValidator.Refused r) {
                    refused = r;
                } else if ((transportRefused = transportRefusal(io, h)) == null) {
                    HelloValidator.Accepted accepted = (HelloValidator.Accepted) verdict;
                    if (soFar.terms() == null) {
                        session.started(accepted.session().terms());
                    }
                    io.channelId(h.channelId());
                    ReceiveChannel channel = session.channel(h.channelId(), io);
                    table.add(channel);
                    soFar = accepted.session();
                    channel.writeReply(Reply.helloAccept(accepted.version()), "HELLO_ACCEPT");
                    channel.start();
                    if (soFar.complete()) {
                        closeStrays();
                    }
                    return true;
                }
            }
        } finally {
            lock.unlock();
        }
        if (transportRefused != null) {
            refuse(io, transportRefused);
        } else if (refused == null) {
            io.close(); // the migration failed meanwhile; the fan-out reports it
        } else {
            refuse(io, refused.exception(h.channelId(), 0));
        }
        return false;
    }

    /** Asks the transport whether this connection may join the session; null if it may. */
    private static MalformedPacketException transportRefusal(ChannelIo io, Hello h) {
        try {
            io.admitted();
            return null;
        } catch (IOException e) {
            return new MalformedPacketException(ProtocolCode.SESSION_MISMATCH, h.channelId(), 0, "peer identity", null,
                    e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage(), e);
        }
    }

    /** Every channel is in: nothing else may join, the listener and the pending connections close. */
    private void closeStrays() {
        ReceiverShutdown.closeQuietly(transport);
        for (ChannelIo p : table.pending()) {
            p.close();
        }
    }

    /** Logs and records a dropped connection, once. */
    private void drop(ChannelIo io, String reason) {
        // the connection's own errors start with "connection <description>: ", which the line already says
        String self = "connection " + io.description() + ": ";
        drop(io.description(), reason != null && reason.startsWith(self) ? reason.substring(self.length()) : reason);
    }

    private void drop(String connection, String reason) {
        String escaped = PeerText.escape(reason, MAX_REASON_CHARS);
        lock.lock();
        try {
            lastDrop = connection + ": " + escaped;
        } finally {
            lock.unlock();
        }
        recordRefused("dropped", connection, -1, escaped);
        LOG.log(System.Logger.Level.WARNING, "dropped connection " + connection + ": " + escaped);
    }

    /** Drops a connection whose hello was refused, answering HELLO_REFUSE as the protocol says. */
    private void refuse(ChannelIo io, MalformedPacketException e) {
        drop(io, e.code() + ": " + e.getMessage());
        try {
            io.forceCloseAfter(graceNanos);
            io.writeFully(Reply.failure(Wire.REPLY_HELLO_REFUSE, e.code(), e.getMessage()).encode(), "HELLO_REFUSE");
            io.shutdownOutput();
        } catch (IOException | RuntimeException x) {
            LOG.log(System.Logger.Level.DEBUG, "could not send a refusal: " + x);
            io.close();
        }
    }

    private static void recordRefused(String action, String connection, int channel, String reason) {
        ConnectionRefusedEvent ev = new ConnectionRefusedEvent();
        if (ev.shouldCommit()) {
            ev.action = action;
            ev.transport = connection;
            ev.channel = channel;
            ev.reason = reason;
            ev.commit();
        }
    }
}
