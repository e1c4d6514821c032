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
package io.multifd.core;

import io.multifd.api.ChannelTimeoutException;
import io.multifd.api.MigrationFailedException;
import io.multifd.api.MigrationStats;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.MultiFdException;
import io.multifd.api.ProtocolCode;
import io.multifd.api.spi.PayloadPlugin;
import io.multifd.api.spi.TransportListener;
import io.multifd.core.channel.AcceptLoop;
import io.multifd.core.channel.ChannelIo;
import io.multifd.core.channel.ChannelTable;
import io.multifd.core.channel.ReturnWriter;
import io.multifd.core.channel.FailureFanOut;
import io.multifd.core.channel.ProgressClock;
import io.multifd.core.channel.ReceiveChannel;
import io.multifd.core.channel.ReceiverParts;
import io.multifd.core.channel.ReceiverShutdown;
import io.multifd.core.channel.Watchdog;
import io.multifd.core.session.MigrationRecord;
import io.multifd.core.session.Durations;
import io.multifd.core.session.EpochLog;
import io.multifd.core.session.FailureLatch;
import io.multifd.core.session.HelloValidator;
import io.multifd.core.session.ManifestApplication;
import io.multifd.core.session.PayloadCounters;
import io.multifd.core.session.PluginContext;
import io.multifd.core.session.ReceiverEnd;
import io.multifd.core.session.SafeListener;
import io.multifd.core.session.SessionTerms;
import io.multifd.core.session.SessionThreads;
import io.multifd.core.session.StatsAssembly;
import io.multifd.core.session.SyncBarrier;
import io.multifd.core.session.ThreadJoins;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The receiving side of a migration: accepts N channels, answers their hellos, hands the
 * manifest to the payload plug-ins, runs one thread per channel
 * ({@code multifd-recv-<session>-ch<id>}) that validates, decodes and dispatches packets by
 * payload type, keeps the sync barrier, and reports COMPLETED only after every channel reached
 * its end and every plug-in finished.
 *
 * <pre>{@code
 * try (MultiFdReceiver receiver = MultiFdReceiver.builder(config, TcpTransport.listen(address))
 *         .payload(RamPayload.receiving(destination))      // a configured plug-in instance
 *         .build().start()) {
 *     MigrationStats result = receiver.await();            // or throws with the first cause
 * }
 * }</pre>
 *
 * <p>The channel count, codec and memory layout come from the sender (its hellos and manifest);
 * the receiver's configuration bounds them ({@link MultiFdConfig#maxChannels()},
 * {@link MultiFdConfig#allowedCodecs()}, {@link MultiFdConfig#maxPacketDataLength()} and the
 * other caps). Every byte from the sender is treated as hostile: lengths are checked against the
 * caps before anything is read or allocated, and every refusal names the field and the value.
 *
 * <h2>Threads</h2>
 * Thread-safe. {@link #start()} starts a coordinating thread ({@code multifd-recv-main}) that
 * accepts channels and runs the end of the migration; each accepted channel gets its own thread.
 * {@link #await()} and {@link #awaitAsync()} may be called from any thread, {@link #close()} too.
 * After {@code await} returns or throws the migration's outcome, every thread of this receiver
 * has ended; an {@link #await(Duration)} whose time ran out leaves the migration running. Thread names
 * carry the first eight hex digits of the session id, e.g. {@code multifd-recv-1a2b3c4d-ch0};
 * the receiver learns the id from the first accepted hello and then renames the two threads it
 * started before ({@code multifd-recv-main} becomes {@code multifd-recv-1a2b3c4d-main}, the
 * watchdog likewise). The threads come from the
 * {@linkplain SessionBuilder#threadFactory thread factory} if one was set.
 *
 * <h2>Failure</h2>
 * The first error on any channel, in any plug-in, or the sender's ABORT fails the migration: the
 * sender is told (an ERROR reply on every channel), every wait is aborted, every channel closes,
 * every thread ends, and {@code await()} throws a {@link MigrationFailedException} carrying the
 * first cause. The receiver never reports success for a stream that was cut, truncated or
 * inconsistent. A failure after this receiver wrote COMPLETED on every channel (a lost COMMIT,
 * the sender's connection closing, {@link #close()} in that window) cannot be told to a sender
 * that already returned: its {@link MigrationFailedException#outcomeUnknown()} is true, because
 * the sender may have completed and let its source go.
 */
public final class MultiFdReceiver implements AutoCloseable {

    private static final long NO_TIMEOUT = TimeUnit.DAYS.toNanos(3650);
    private static final System.Logger LOG = System.getLogger("io.multifd.core.MultiFdReceiver");

    private final MultiFdConfig config;
    private final TransportListener transport;
    private final PluginRegistry registry;
    private final SafeListener listener;
    private final PayloadCounters[] counters;
    private final long graceNanos;
    private final FailureLatch latch = new FailureLatch(System.getLogger("io.multifd.core.MultiFdReceiver"));
    private final ChannelTable table = new ChannelTable();
    private final ManifestApplication manifest;
    private final ReceiverEnd end;
    private final FailureFanOut failures;
    private final HelloValidator validator;
    private final SessionThreads threads;
    private final Thread mainThread;
    /** State, result and waits; its future is completed by the coordinating thread as its last action. */
    private final ReceiverOutcome outcome;

    /** Fixed by the first accepted hello, published once. */
    private volatile ReceiverParts parts;
    private volatile Watchdog watchdog;
    private volatile long startNanos;
    private volatile long endNanos;
    private final EpochLog epochs = new EpochLog("receiver", LOG);
    /** Begun when the first channel is accepted; committed by the coordinating thread at the end. */
    private final MigrationRecord migrationRecord = new MigrationRecord("receiver", LOG);

    private MultiFdReceiver(Builder b) {
        this.config = b.config;
        this.transport = b.transport;
        this.registry = b.composeRegistry();
        this.listener = new SafeListener(b.listenerOrNone());
        PayloadPlugin<?>[] plugins = registry.payloads().toArray(new PayloadPlugin<?>[0]);
        this.counters = new PayloadCounters[plugins.length];
        for (int i = 0; i < plugins.length; i++) {
            counters[i] = new PayloadCounters(plugins[i].id(), plugins[i].name());
        }
        this.graceNanos = Math.min(config.ioTimeout().toNanos(), TimeUnit.SECONDS.toNanos(2));
        this.end = new ReceiverEnd(latch, ProgressClock.of(config.ioTimeout()));
        this.manifest = new ManifestApplication(config, plugins, b.required, registry.payloadNames(), latch);
        this.outcome = new ReceiverOutcome(latch, () -> abort("the future of the receiver's awaitAsync() was cancelled"),
                end::completedEverywhere);
        this.failures = new FailureFanOut(latch, table, manifest, end, () -> {
            ReceiverParts p = parts;
            return p == null ? null : p.barrier();
        }, transport, cause -> listener.onFailed(outcome.reported(cause)), graceNanos,
                () -> endNanos = System.nanoTime());
        this.validator = new HelloValidator(config, registry::codec, registry.codecNames());
        this.threads = new SessionThreads(b.threadFactoryOrNull(), "recv", null);
        this.mainThread = threads.newThread(this::runMain, "main");
    }

    /**
     * Starts building a receiver.
     *
     * @param config   the configuration (its caps and timeouts bound what the sender may do)
     * @param listener where the sender's channels arrive, e.g. {@code TcpTransport.listen(address)};
     *                 owned by the receiver from now on (it closes it once all channels are in)
     * @return a builder
     */
    public static Builder builder(MultiFdConfig config, TransportListener listener) {
        return new Builder(config, listener);
    }

    /** The plug-ins and codecs this receiver can use. */
    public PluginRegistry registry() {
        return registry;
    }

    /**
     * Starts accepting channels in the background. Called once.
     *
     * @return this receiver
     * @throws IllegalStateException if already started, or closed
     * @throws RuntimeException      what the {@linkplain SessionBuilder#threadFactory thread factory}
     *                               threw (the receiver is then still new)
     */
    public MultiFdReceiver start() {
        outcome.start(() -> {
            long tick = Math.min(config.ioTimeout().toNanos(), config.handshakeTimeout().toNanos()) / 8;
            watchdog = new Watchdog(threads, Math.min(tick, TimeUnit.MILLISECONDS.toNanos(250)));
        });
        mainThread.start();
        return this;
    }

    /**
     * Waits for the migration to end.
     *
     * @return the final statistics, once every channel reached its end, every plug-in finished,
     * the sender committed, and every thread ended
     * @throws MigrationFailedException carrying the first cause if the migration failed
     * @throws InterruptedIOException   if interrupted (the migration goes on)
     */
    public MigrationStats await() throws IOException {
        return await(Duration.ofNanos(NO_TIMEOUT));
    }

    /**
     * Waits at most {@code timeout} for the migration to end.
     *
     * @param timeout how long to wait
     * @return the final statistics
     * @throws ChannelTimeoutException  if it did not end in time: the migration goes on (await
     *                                  again, or {@link #close()} to abort it); unlike the other
     *                                  timeouts, this one does not fail the migration
     * @throws MigrationFailedException carrying the first cause if the migration failed
     * @throws InterruptedIOException   if interrupted
     */
    public MigrationStats await(Duration timeout) throws IOException {
        return outcome.await(Objects.requireNonNull(timeout, "timeout"));
    }

    /**
     * {@link #await()} without blocking: the returned future completes when the migration ended,
     * with the final statistics, or exceptionally with the {@link MigrationFailedException} that
     * {@code await()} would throw, carrying the first cause ({@code get()} wraps it in an
     * {@link java.util.concurrent.ExecutionException}, {@code join()} in a
     * {@link java.util.concurrent.CompletionException}). No thread is added: the receiver's
     * coordinating thread completes the future as its last action, after every other thread of
     * the receiver ended and the listener heard {@code onCompleted}; that thread itself ends
     * right after, and {@link #close()} waits for it. Stages added without an executor
     * ({@code thenApply}, {@code whenComplete}) run on that thread: keep them short, or pass an
     * executor.
     *
     * <pre>{@code
     * receiver.start().awaitAsync().whenComplete((stats, error) -> log(stats, error));
     * }</pre>
     *
     * <p>Any thread, any number of times, also before {@link #start()}: every call returns the
     * same future. Closing the receiver before {@code start()} fails it like {@code await()}.
     *
     * <p>{@code cancel(true)} or {@code cancel(false)} on the returned future (not on stages
     * derived from it) does what {@link #cancel()} does, and completes the future with a
     * {@link java.util.concurrent.CancellationException} at once; {@code await()} still reports
     * how the migration ended. A timeout on the future ({@code orTimeout}) aborts nothing.
     *
     * @return the future of the final statistics; never null
     */
    public CompletableFuture<MigrationStats> awaitAsync() {
        return outcome.future();
    }

    /**
     * Aborts the migration if it has not ended (the sender is told, unless it already returned
     * after this receiver's COMPLETED: then {@code await()} reports the outcome unknown, see
     * {@link MigrationFailedException#outcomeUnknown()}), waits a few seconds at most
     * for every thread to end, and releases everything. Never throws; idempotent; any thread.
     * A payload plug-in whose {@code finish} does not return (ignoring its timeout) holds the
     * coordinating thread: after the grace period and 10 s it is interrupted,
     * and if it still does not end, close returns leaving that one thread running, with a WARNING
     * naming the plug-in call it is in. Called on one of the receiver's own threads (a plug-in's
     * callback, a device-state loader) it aborts at once and leaves the waiting to a thread of its
     * own, {@code multifd-recv-*-close}: waiting there would wait for the caller itself.
     */
    @Override
    public void close() {
        if (!threads.closeElsewhereIfOwn(() -> abort("the receiver was closed before the migration ended"),
                this::closeAndWait, LOG)) {
            closeAndWait();
        }
    }

    private void closeAndWait() {
        if (abort("the receiver was closed before the migration ended")
                && !ThreadJoins.join(mainThread, System.nanoTime() + graceNanos + TimeUnit.SECONDS.toNanos(10))) {
            // the coordinating thread is stuck in a plug-in that ignores its timeout: interrupt
            // it, stop the watchdog (which would otherwise outlive close), and say where it is
            String in = manifest.callInProgress();
            mainThread.interrupt();
            if (!ThreadJoins.join(mainThread, System.nanoTime() + TimeUnit.SECONDS.toNanos(1))) {
                Watchdog w = watchdog;
                if (w != null) {
                    w.close();
                }
                LOG.log(System.Logger.Level.WARNING, mainThread.getName() + " did not end after close()"
                        + (in == null ? "" : ": it is in " + in + ", which ignores its timeout and interrupts")
                        + "; the thread is left running");
            }
        }
    }

    /**
     * Aborts the migration without waiting; any thread, any state. {@code await()} throws a
     * {@link MigrationFailedException} whose cause ({@link ProtocolCode#ABORTED}) names this
     * receiver's {@code cancel()} and the calling thread; the sender is told the same and fails.
     * Before {@link #start()} it ends the receiver; past the commit point or after a failure it
     * changes nothing. {@link #close()} still waits for the threads.
     */
    public void cancel() {
        abort("the receiver was cancelled (cancel() on thread '" + Thread.currentThread().getName() + "')");
    }

    /**
     * Fails the migration unless it already ended; before {@link #start()} ends the receiver
     * there and then. Does not wait for threads.
     *
     * @param why the message of the ABORTED error
     * @return true if the receiver was started (its threads may still be ending)
     */
    private boolean abort(String why) {
        if (outcome.closeBeforeStart()) {
            ReceiverShutdown.closeQuietly(transport);
            outcome.completeFuture();
            return false;
        }
        failures.fail(new MultiFdException(ProtocolCode.ABORTED, why));
        return true;
    }

    /** A snapshot of the counters; any thread, any time. */
    public MigrationStats stats() {
        return StatsAssembly.ofReceiver(table.channels(), manifest.receivers(), counters, parts, startNanos, endNanos,
                epochs.snapshot());
    }

    @Override
    public String toString() {
        return "MultiFdReceiver[" + transport.description() + "]";
    }

    // ------------------------------------------------------------------ coordinating thread

    /**
     * The coordinating thread: accepts every channel, waits for every EOS, lets the plug-ins
     * finish, writes COMPLETED everywhere, waits for every COMMIT, then passes the commit point.
     */
    private void runMain() {
        try {
            SessionTerms terms = new AcceptLoop(config, transport, watchdog, validator, table, latch, failures,
                    graceNanos, threads, new Starter()).run();
            ReceiverShutdown.closeQuietly(transport);
            LOG.log(System.Logger.Level.INFO, "migration " + terms.sessionId() + " started: " + terms.channelCount()
                    + " channels on " + transport.description() + ", codec " + terms.codec().name());
            listener.onConnected(terms.sessionId(), terms.channelCount(), terms.codec().name());
            end.awaitEveryEos(terms.channelCount());
            manifest.finishAll(config.finishTimeout());
            end.writeCompleted(table.channels(), graceNanos);
            end.awaitEveryCommit(terms.channelCount(), config.finishTimeout(), graceNanos);
            endNanos = System.nanoTime();
            MigrationStats s = stats();
            if (latch.seal()) {
                outcome.result(s);
            }
        } catch (Throwable t) {
            failures.fail(t);
        } finally {
            shutdown();
        }
    }

    /** Makes the session's shared parts from the first accepted hello, and each channel. */
    private final class Starter implements AcceptLoop.Session {
        @Override
        public void started(SessionTerms terms) {
            startNanos = System.nanoTime(); // elapsed counts from the first accepted channel
            threads.sessionKnown(terms.sessionId()); // renames this thread and the watchdog
            migrationRecord.begin();
            epochs.start(terms.sessionId());
            table.open(terms);
            SyncBarrier barrier = new SyncBarrier(terms.channelCount(), latch::cause, this::epochPassed, end.clock());
            parts = new ReceiverParts(config, terms, manifest, counters, barrier, end, latch, failures, new PluginContext(
                    terms, config, failures::fail, threads, t -> new ReturnWriter(table, t, latch)), graceNanos);
        }

        @Override
        public ReceiveChannel channel(int id, ChannelIo io) {
            return new ReceiveChannel(id, io, parts, threads);
        }

        /** The last channel arrived at the barrier of {@code epoch}: every channel noted its counters. */
        private void epochPassed(long epoch) {
            epochs.end(epoch, table.channels());
            listener.onSync(epoch);
        }
    }

    /** Runs on the coordinating thread at the end: joins every channel, closes plug-ins, publishes the result. */
    private void shutdown() {
        ReceiverShutdown.run(table, transport, manifest, watchdog, latch, graceNanos);
        if (endNanos == 0) {
            endNanos = System.nanoTime();
        }
        MigrationStats s = outcome.done();
        migrationRecord.end(s != null ? s : stats(), s != null, latch.cause());
        if (s != null) {
            listener.onCompleted(s);
        }
        outcome.completeFuture();
    }

    // ------------------------------------------------------------------ builder

    /**
     * Builds a {@link MultiFdReceiver}. Not thread-safe. The setters shared with the sender's
     * builder are in {@link SessionBuilder}.
     */
    public static final class Builder extends SessionBuilder<Builder> {
        private final TransportListener transport;
        private final Set<Integer> required = new HashSet<>();

        private Builder(MultiFdConfig config, TransportListener transport) {
            super(config);
            this.transport = Objects.requireNonNull(transport, "listener");
        }

        @Override
        Builder self() {
            return this;
        }

        /**
         * Adds a payload plug-in, like {@link #payload(PayloadPlugin)}, and declares it required:
         * a sender whose manifest has no record for this plug-in's id is refused before any
         * page or buffer moves, with {@link io.multifd.api.ProtocolCode#SETUP_REFUSED} and a
         * message naming the plug-in (the receiver's {@code await()} throws a
         * {@link io.multifd.api.SetupRefusedException}, the sender is told the same). Without
         * it a manifest may leave any registered plug-in out, and the session completes without
         * that payload.
         *
         * @param plugin the plug-in every session must use, typically configured with its
         *               destination
         * @return this builder
         */
        public Builder require(PayloadPlugin<?> plugin) {
            payload(plugin);
            required.add(plugin.id());
            return this;
        }

        /**
         * Makes the receiver, without any I/O and without starting a thread ({@link MultiFdReceiver#start()} does).
         * If it throws (plug-ins that clash, say), it closes the listener it was given, which the
         * receiver would have owned: the address is free again.
         *
         * @return a new receiver
         */
        public MultiFdReceiver build() {
            try {
                return new MultiFdReceiver(this);
            } catch (RuntimeException | Error e) {
                try {
                    transport.close();
                } catch (IOException | RuntimeException c) {
                    e.addSuppressed(c);
                }
                throw e;
            }
        }
    }
}
