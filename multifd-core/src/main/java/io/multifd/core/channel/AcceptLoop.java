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
import io.multifd.api.spi.TransportChannel;
import io.multifd.api.spi.TransportListener;
import io.multifd.core.jfr.ConnectionRefusedEvent;
import io.multifd.core.session.Durations;
import io.multifd.core.session.FailureLatch;
import io.multifd.core.session.HelloValidator;
import io.multifd.core.session.SessionSoFar;
import io.multifd.core.session.SessionTerms;
import io.multifd.core.wire.Hello;
import io.multifd.core.wire.Reply;
import io.multifd.core.wire.Wire;

import java.io.IOException;
import java.time.Duration;

/**
 * The receiver's accept loop: accepts connections until every channel the first accepted hello
 * announced is in, all within {@link MultiFdConfig#acceptTimeout()}. For each connection it reads
 * the hello (within the handshake timeout), asks the {@link HelloValidator}, and either answers
 * HELLO_ACCEPT and starts the channel's thread, or fails the migration and answers HELLO_REFUSE
 * naming the field.
 *
 * <p>Runs on the coordinating thread only; the session so far is confined to it.
 */
public final class AcceptLoop {

    private static final System.Logger LOG = System.getLogger("io.multifd.core.MultiFdReceiver");

    /** What the receiver does with an accepted hello. */
    public interface Session {
        /**
         * Called once, with the terms the first accepted hello fixed, before its channel is made.
         *
         * @param terms the session terms
         */
        void started(SessionTerms terms);

        /**
         * Makes the channel for an accepted hello (its thread not started).
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
    private final Session session;

    /**
     * @param config     the receiver's configuration (its accept and handshake timeouts)
     * @param transport  where the channels arrive
     * @param watchdog   bounds every read and write
     * @param validator  decides on each hello
     * @param table      where connections and channels are recorded
     * @param latch      the migration's first error
     * @param failures   fails the migration
     * @param graceNanos how long a refused connection may still be read before it is closed by force
     * @param session    makes the session's parts and channels
     */
    public AcceptLoop(MultiFdConfig config, TransportListener transport, Watchdog watchdog, HelloValidator validator,
                      ChannelTable table, FailureLatch latch, FailureFanOut failures, long graceNanos, Session session) {
        this.config = config;
        this.transport = transport;
        this.watchdog = watchdog;
        this.validator = validator;
        this.table = table;
        this.latch = latch;
        this.failures = failures;
        this.graceNanos = graceNanos;
        this.session = session;
    }

    /**
     * Accepts every channel.
     *
     * @return the session terms, once every channel was accepted and its thread started
     * @throws ChannelTimeoutException  if not every channel connected in time
     * @throws MigrationFailedException if the migration failed meanwhile
     * @throws IOException              a refusal ({@link MalformedPacketException}) or a transport failure
     */
    public SessionTerms run() throws IOException {
        long deadline = System.nanoTime() + config.acceptTimeout().toNanos();
        SessionSoFar soFar = SessionSoFar.EMPTY;
        while (true) {
            latch.throwIfFailed("accepting channels");
            if (soFar.complete()) {
                return soFar.terms();
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new ChannelTimeoutException(soFar.accepted().size() + " of "
                        + (soFar.terms() == null ? "the expected" : String.valueOf(soFar.terms().channelCount()))
                        + " channels connected within " + Durations.format(config.acceptTimeout()) + " ("
                        + transport.description() + ")");
            }
            TransportChannel tc;
            try {
                tc = transport.accept(Duration.ofNanos(left));
            } catch (ChannelTimeoutException e) {
                continue; // the loop reports the timeout with the channel counts
            }
            ChannelIo io = new ChannelIo(tc, watchdog, -1, "receiver", config.handshakeTimeout());
            if (!table.addPending(io, latch)) {
                recordRefused("dropped", io, -1, "the migration had already failed");
                io.close();
                latch.throwIfFailed("accepting channels");
            }
            soFar = handshake(io, soFar);
        }
    }

    /** Reads one hello, decides, answers, and starts the channel thread. */
    private SessionSoFar handshake(ChannelIo io, SessionSoFar soFar) throws IOException {
        Hello h;
        try {
            h = Hello.read(io);
        } catch (MalformedPacketException e) {
            throw refuse(io, e);
        }
        HelloValidator.Verdict verdict = validator.check(h, soFar);
        if (verdict instanceof HelloValidator.Refused r) {
            throw refuse(io, r.exception(h.channelId(), 0));
        }
        HelloValidator.Accepted accepted = (HelloValidator.Accepted) verdict;
        if (soFar.terms() == null) {
            session.started(accepted.session().terms());
        }
        io.channelId(h.channelId());
        ReceiveChannel channel = session.channel(h.channelId(), io);
        table.add(channel);
        channel.writeReply(Reply.helloAccept(accepted.version()), "HELLO_ACCEPT");
        channel.start();
        return accepted.session();
    }

    /**
     * Fails the migration with {@code e} (first, so that nothing the peer does after reading the
     * refusal can claim to be the first error), then sends the refusal on {@code io}.
     */
    private MalformedPacketException refuse(ChannelIo io, MalformedPacketException e) {
        failures.fail(e, io);
        recordRefused("refused", io, io.channel(), e.getMessage());
        LOG.log(System.Logger.Level.INFO, "refused connection " + io.description() + ": " + e.getMessage());
        try {
            io.forceCloseAfter(graceNanos);
            io.writeFully(Reply.failure(Wire.REPLY_HELLO_REFUSE, e.code(), e.getMessage()).encode(), "HELLO_REFUSE");
            io.shutdownOutput();
        } catch (IOException | RuntimeException x) {
            LOG.log(System.Logger.Level.DEBUG, "could not send a refusal: " + x);
        }
        return e;
    }

    private static void recordRefused(String action, ChannelIo io, int channel, String reason) {
        ConnectionRefusedEvent ev = new ConnectionRefusedEvent();
        if (ev.shouldCommit()) {
            ev.action = action;
            ev.transport = io.description();
            ev.channel = channel;
            ev.reason = reason;
            ev.commit();
        }
    }
}
