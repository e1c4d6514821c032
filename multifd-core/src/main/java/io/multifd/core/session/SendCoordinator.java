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
package io.multifd.core.session;

import io.multifd.api.ChannelTimeoutException;
import io.multifd.api.CodecOptions;
import io.multifd.api.MigrationFailedException;
import io.multifd.api.MigrationStats;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.MultiFdException;
import io.multifd.api.ProtocolCode;
import io.multifd.api.SendData;
import io.multifd.api.SessionId;
import io.multifd.api.spi.Codec;
import io.multifd.api.spi.PayloadPlugin;
import io.multifd.api.spi.TransportConnector;
import io.multifd.core.channel.ChannelSender;
import io.multifd.core.channel.ProgressClock;
import io.multifd.core.channel.RateLimiter;
import io.multifd.core.channel.SlotHandoff;
import io.multifd.core.channel.Watchdog;
import io.multifd.core.jfr.SyncEvent;
import io.multifd.core.wire.EndExchange;
import io.multifd.core.wire.Manifest;
import io.multifd.core.wire.Reply;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The session-wide state of a sender behind {@code MultiFdSender}: its life-cycle state, the
 * declared setup records, the channels, the first error, and every wait on the channels
 * (connect, sync, the end exchange, teardown).
 *
 * <p>Threads: one {@link ReentrantLock} guards the state, the records, the sync count and the
 * waits; its condition {@code progress} is signalled whenever a channel moves on
 * ({@link #progressed()}) or the migration fails. The failure flag, the state and the channel
 * array are also readable without the lock (volatile / {@link FailureLatch}) for the hot paths.
 * Public methods: any thread unless stated.
 */
public final class SendCoordinator implements ChannelSender.Host {

    private static final System.Logger LOG = System.getLogger("io.multifd.core.MultiFdSender");

    private final MultiFdConfig config;
    private final SessionId sessionId;
    private final SafeListener listener;
    private final PayloadPlugin<?>[] plugins;
    private final PayloadCounters[] counters;
    private final long graceNanos;
    private final SessionThreads threads;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition progress = lock.newCondition();
    private final ReentrantLock syncMutex = new ReentrantLock();
    private final FailureLatch latch = new FailureLatch(System.getLogger("io.multifd.core.MultiFdSender"));
    /** Made once: the packet writers poll it while waiting for bandwidth. */
    private final BooleanSupplier isFailed = latch::failed;
    private final SlotHandoff handoff = new SlotHandoff();
    /** Bounds every wait on the channels by lack of progress (the I/O timeout). */
    private final ProgressClock clock;
    private final SendAdmission admission;

    // written under the lock; volatile so that send() can read it without the lock
    private volatile SenderState state = SenderState.NEW;
    private volatile ChannelSender[] channels = new ChannelSender[0];
    private final SetupRecords declared;
    private long syncsDone; // lock
    private volatile Codec codec;
    private Watchdog watchdog;
    /** Made with the coordinator so that the cap can be changed before and during the migration. */
    private final RateLimiter limiter;
    private volatile long startNanos;
    private volatile long endNanos;
    private final EpochLog epochs = new EpochLog("sender", LOG);
    /** Begun at connect(), committed once at the end (lock). */
    private final MigrationRecord migrationRecord = new MigrationRecord("sender", LOG);

    /**
     * @param config    the configuration
     * @param sessionId the session
     * @param listener  the user's listener, wrapped
     * @param plugins   the payload plug-ins, in registry order
     * @param counters  their counters, same order
     * @param threads   makes every thread of the session
     */
    public SendCoordinator(MultiFdConfig config, SessionId sessionId, SafeListener listener,
                           PayloadPlugin<?>[] plugins, PayloadCounters[] counters, SessionThreads threads) {
        this.config = config;
        this.sessionId = sessionId;
        this.listener = listener;
        this.plugins = plugins;
        this.counters = counters;
        this.threads = threads;
        this.declared = new SetupRecords(plugins);
        this.graceNanos = Math.min(config.ioTimeout().toNanos(), TimeUnit.SECONDS.toNanos(2));
        this.limiter = new RateLimiter(config.maxBandwidth(), config.channels());
        this.clock = ProgressClock.of(config.ioTimeout());
        this.admission = new SendAdmission(this, handoff, clock);
    }

    /** The bandwidth cap of every channel's writes; changeable while the migration runs. Any thread. */
    public RateLimiter limiter() {
        return limiter;
    }

    /** What clients declared before connecting: setup records and return-path handlers. Any thread. */
    public SetupRecords declared() {
        return declared;
    }

    // ------------------------------------------------------------------ connect

    /**
     * Starts every channel and waits until all completed their handshake; on failure tears
     * everything down. Called once, by the owner.
     *
     * @param h         the session's codec, its options already validated
     * @param connector how to reach the receiver
     * @throws MigrationFailedException carrying the first cause if anything failed
     * @throws IllegalStateException    if called twice
     */
    public void connect(Codec h, TransportConnector connector) throws IOException {
        lock.lock();
        try {
            if (state == SenderState.CLOSED) {
                throw new IllegalStateException("the sender was closed before connect()");
            }
            if (state != SenderState.NEW) {
                throw new IllegalStateException("connect() was already called; the sender is " + state.words);
            }
            Manifest manifest = declared.freeze(config); // throws before anything started if too large
            state = SenderState.CONNECTING;
            codec = h;
            migrationRecord.begin();
            CodecOptions codecOptions = config.codecOptions();
            long tick = Math.min(config.ioTimeout().toNanos(),
                    Math.min(config.handshakeTimeout().toNanos(), config.connectTimeout().toNanos())) / 8;
            limiter.restart();
            ChannelSender[] cs = new ChannelSender[config.channels()];
            SlotHandoff.Mailbox[] boxes = new SlotHandoff.Mailbox[cs.length];
            try {
                watchdog = new Watchdog(threads, Math.min(tick, TimeUnit.MILLISECONDS.toNanos(250)));
                ChannelSender.Setup setup = new ChannelSender.Setup(config, connector, sessionId, config.channels(), h,
                        codecOptions, manifest, plugins, counters, watchdog, limiter, graceNanos, threads, clock,
                        declared.routes());
                for (int i = 0; i < cs.length; i++) {
                    cs[i] = new ChannelSender(i, setup, this, handoff, isFailed);
                    boxes[i] = cs[i].mailbox();
                }
            } catch (RuntimeException e) { // the user's thread factory failed: no channel thread started
                failLocked(e);
            }
            if (!latch.failed()) {
                handoff.install(boxes);
                channels = cs;
                startNanos = System.nanoTime();
                for (ChannelSender c : cs) {
                    c.start();
                }
            }
            long deadline = System.nanoTime() + config.connectTimeout().toNanos()
                    + 3 * config.handshakeTimeout().toNanos() + TimeUnit.SECONDS.toNanos(5);
            while (!latch.failed() && !all(ChannelSender::ready)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    failLocked(new ChannelTimeoutException("channels did not connect within "
                            + Durations.format(config.connectTimeout()) + " plus the handshake timeout"));
                    break;
                }
                progress.awaitNanos(left);
            }
            if (!latch.failed()) {
                state = SenderState.CONNECTED;
                startNanos = System.nanoTime();
                epochs.start(sessionId);
                LOG.log(System.Logger.Level.INFO, "migration " + sessionId + " started: " + cs.length
                        + " channels to " + connector.description() + ", codec " + h.name() + ", bandwidth "
                        + Durations.rate(limiter.rate()));
                progress.signalAll(); // the channel threads in awaitStreaming()
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failLocked(new InterruptedIOException("interrupted while connecting"));
        } finally {
            lock.unlock();
        }
        if (latch.failed()) {
            teardown();
            latch.throwIfFailed("connect");
        }
    }

    /** True if every channel passes {@code test}. Lock held or not: reads volatiles only. */
    private boolean all(Predicate<ChannelSender> test) {
        return firstWithout(test) == null;
    }

    /** The first channel that fails {@code test}, or null. */
    private ChannelSender firstWithout(Predicate<ChannelSender> test) {
        for (ChannelSender c : channels) {
            if (!test.test(c)) {
                return c;
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ send / sync

    /**
     * Checks a filled slot and hands it to an idle channel; see {@link SendAdmission#send}.
     *
     * @param filled the filled slot
     * @return an empty slot for the caller
     * @throws IOException if the migration failed or the wait was interrupted or timed out
     */
    public SendData send(SendData filled) throws IOException {
        return admission.send(filled);
    }

    /**
     * Ends the current sync epoch: a SYNC marker on every channel after everything handed to it,
     * and waits until all are written. One sync at a time.
     *
     * @param finishing true when called by finish() (allowed while FINISHING)
     * @return the epoch that ended
     * @throws IOException if the migration failed or the wait was interrupted
     */
    public long sync(boolean finishing) throws IOException {
        try {
            syncMutex.lockInterruptibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting to sync");
        }
        long epoch;
        SyncEvent event = new SyncEvent();
        event.begin();
        try {
            lock.lockInterruptibly();
            try {
                checkUsable("sync", finishing);
                epoch = syncsDone;
                for (ChannelSender c : channels) {
                    c.requestSync();
                }
                awaitProgress("sync", () -> all(c -> c.syncs() >= c.syncsRequested()), "the SYNC markers to be written");
                syncsDone++;
            } finally {
                lock.unlock();
            }
            // each channel noted its counters when it wrote this SYNC; none writes the next one before
            // the next sync(), and the sync mutex is still held: epochs end in order
            epochs.end(epoch, channels);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the sync markers to be written");
        } finally {
            syncMutex.unlock();
        }
        event.commit("sender", epoch);
        listener.onSync(epoch);
        return epoch;
    }

    // ------------------------------------------------------------------ the end exchange

    /**
     * The end of the migration: the last sync, EOS on every channel, every channel's COMPLETED
     * (with counts matching what was sent) within the finish timeout, then the commit point and
     * COMMIT on every channel; then teardown. Called once, by the owner.
     *
     * @throws MigrationFailedException carrying the first cause if anything failed
     * @throws IllegalStateException    if not connected
     */
    public void finish() throws IOException {
        lock.lock();
        try {
            if (!latch.failed()) {
                checkUsable("finish", false);
                state = SenderState.FINISHING;
            }
        } finally {
            lock.unlock();
        }
        if (!latch.failed()) {
            try {
                handoff.wakeWaiters(); // a send() waiting for an idle channel now sees FINISHING and fails
                lock.lockInterruptibly();
                try {
                    awaitProgress("finish", () -> admission.inFlight() == 0, "the send() calls in flight to return");
                } finally {
                    lock.unlock();
                }
                sync(true);
                endExchange();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail(new InterruptedIOException("interrupted while finishing"));
            } catch (IOException | RuntimeException e) {
                fail(e);
            }
        }
        teardown();
        latch.throwIfFailed("finish");
    }

    private void endExchange() throws IOException, InterruptedException {
        lock.lockInterruptibly();
        try {
            for (ChannelSender c : channels) {
                c.requestEos();
            }
            awaitProgress("finish", () -> all(ChannelSender::eosWritten), "end of stream to be written");
            await("finish", () -> all(c -> c.completedReply() != null), "COMPLETED", config.finishTimeout().toNanos(),
                    () -> new ChannelTimeoutException("channel " + firstWithout(c -> c.completedReply() != null).id()
                            + ": the receiver did not confirm completion (COMPLETED) within "
                            + Durations.format(config.finishTimeout()) + " after end of stream"));
            for (ChannelSender c : channels) {
                Reply r = c.completedReply();
                try {
                    EndExchange.checkCompleted(r, c.id(), c.packets(), c.rawBytes());
                } catch (IOException e) {
                    failLocked(e);
                    checkUsable("finish", true);
                }
            }
            // The commit point: the receiver confirmed that it applied everything we sent.
            // From here on, a failure to deliver COMMIT fails only the receiver (which then
            // reports that the sender did not confirm); it cannot undo what was applied.
            state = SenderState.COMMITTING;
            latch.seal();
            for (ChannelSender c : channels) {
                c.requestCommit();
            }
            long deadline = System.nanoTime() + graceNanos + config.ioTimeout().toNanos();
            long left = deadline - System.nanoTime();
            while (!all(ChannelSender::committedOrClosed) && left > 0) {
                progress.awaitNanos(left);
                left = deadline - System.nanoTime();
            }
            state = SenderState.FINISHED;
            endNanos = System.nanoTime();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits, holding the lock, until {@code done}. With {@code fixedNanos} 0 the wait fails the
     * migration once no channel moved a byte for the I/O timeout (the deadline moves with every
     * bit of progress); otherwise after {@code fixedNanos}, with the error {@code late} makes.
     */
    private void awaitProgress(String op, BooleanSupplier done, String what) throws IOException, InterruptedException {
        await(op, done, what, 0, null);
    }

    private void await(String op, BooleanSupplier done, String what, long fixedNanos,
                       Supplier<IOException> late) throws IOException, InterruptedException {
        long start = System.nanoTime();
        while (true) {
            checkUsable(op, true);
            if (done.getAsBoolean()) {
                return;
            }
            long left = fixedNanos > 0 ? start + fixedNanos - System.nanoTime() : clock.left(start);
            if (left <= 0) {
                failLocked(late != null ? late.get() : new ChannelTimeoutException(clock.stalledWords()
                        + " while " + op + "() waited for " + what));
                continue;
            }
            progress.awaitNanos(left);
        }
    }

    // ------------------------------------------------------------------ cancel / close

    /**
     * Aborts the migration unless it already failed or passed its commit point (then nothing
     * changes); the receiver is told why, every wait ends. Does not wait for the threads.
     *
     * @param why the message of the ABORTED cause, naming who cancelled
     */
    public void cancel(String why) {
        lock.lock();
        try {
            if (state.cancellable()) {
                failLocked(new MultiFdException(ProtocolCode.ABORTED, why));
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * @param p a payload plug-in
     * @return its index in the registry order, or -1 if it is not one of this sender's instances
     */
    public int indexOf(PayloadPlugin<?> p) {
        return declared.indexOf(p);
    }

    /** @return the life-cycle state now; any thread */
    public SenderState state() {
        return state;
    }

    /** Aborts the migration if it is under way (the receiver is told), then tears down. Idempotent; never throws. */
    public void close() {
        abortForClose();
        teardown();
    }

    /** The first half of {@link #close()}: fails a migration that has not finished. Any thread. */
    public void abortForClose() {
        boolean abort;
        lock.lock();
        try {
            abort = state == SenderState.CONNECTING || state == SenderState.CONNECTED || state == SenderState.FINISHING;
            state = state == SenderState.NEW ? SenderState.CLOSED : state;
        } finally {
            lock.unlock();
        }
        if (abort) {
            fail(new MultiFdException(ProtocolCode.ABORTED, "the sender was closed before finish() completed"));
        }
    }

    /** Closes channels (after their grace), joins every thread, stops the watchdog. */
    private void teardown() {
        ChannelSender[] cs = channels;
        long deadline = ThreadJoins.shutdownDeadline(graceNanos);
        for (ChannelSender c : cs) {
            c.joinChannelThread(deadline);
        }
        for (ChannelSender c : cs) {
            if (!c.closeAndJoinReplyThread(deadline)) {
                LOG.log(System.Logger.Level.WARNING, "channel " + c.id() + " threads did not end in time");
            }
        }
        Watchdog w;
        lock.lock();
        try {
            w = watchdog;
        } finally {
            lock.unlock();
        }
        if (w != null) {
            w.close();
        }
        limiter.wakeAll();
        migrationRecord.end(stats(), state == SenderState.FINISHED, latch.cause());
    }

    // ------------------------------------------------------------------ state and failure

    /**
     * The lock-free check of the hot path: failure and state, read from volatiles.
     *
     * @param op the operation, for messages
     * @throws MigrationFailedException if the migration failed
     * @throws IllegalStateException    if not connected, or finishing
     */
    public void checkUsableFast(String op) throws MigrationFailedException {
        checkUsable(op, false);
    }

    private void checkUsable(String op, boolean finishing) throws MigrationFailedException {
        latch.throwIfFailed(op);
        SenderState s = state;
        if (s == SenderState.FAILED) {
            // failed between the two reads: the latch trips before the state is set, so it holds
            // the cause now, which is what the caller must see (not "the sender is failed")
            latch.throwIfFailed(op);
        }
        s.checkUsable(op, finishing);
    }

    @Override
    public boolean failed() {
        return latch.failed();
    }

    @Override
    public Throwable firstError() {
        return latch.cause();
    }

    @Override
    public void fail(Throwable cause) {
        lock.lock();
        try {
            failLocked(cause);
        } finally {
            lock.unlock();
        }
    }

    private void failLocked(Throwable cause) {
        if (!latch.trip(cause)) {
            return; // a later error, or past the commit point: logged by the latch
        }
        if (state != SenderState.NEW) {
            state = SenderState.FAILED;
        }
        endNanos = System.nanoTime();
        LOG.log(System.Logger.Level.WARNING, "migration " + sessionId + " failed: " + Reasons.of(cause));
        progress.signalAll();
        handoff.wakeWaiters();
        declared.routes().sessionFailed(cause); // clients waiting on their return messages wake now
        for (ChannelSender c : channels) {
            c.onSessionFailed();
        }
        limiter.wakeAll();
        listener.onFailed(cause);
    }

    @Override
    public void failAfterGrace(Throwable local) {
        lock.lock();
        try {
            long left = graceNanos;
            while (!latch.failed() && left > 0 && state != SenderState.COMMITTING && state != SenderState.FINISHED) {
                left = progress.awaitNanos(left);
            }
            failLocked(local);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failLocked(local);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean awaitStreaming() throws InterruptedException {
        lock.lock();
        try {
            while (state == SenderState.CONNECTING && !latch.failed()) {
                progress.await();
            }
            return !latch.failed();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void progressed() {
        lock.lock();
        try {
            progress.signalAll();
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ stats

    /**
     * A snapshot of the counters; any time.
     *
     * @return the statistics
     */
    public MigrationStats stats() {
        long syncs;
        lock.lock();
        try {
            syncs = syncsDone;
        } finally {
            lock.unlock();
        }
        Codec h = codec;
        return StatsAssembly.ofSender(channels, counters, declared, sessionId, config.channels(),
                h != null ? h.name() : config.codec(), startNanos, endNanos, syncs, epochs.snapshot());
    }
}
