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

import io.multifd.api.HandshakeRefusedException;
import io.multifd.api.MigrationFailedException;
import io.multifd.api.MigrationListener;
import io.multifd.api.MigrationStats;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.MultiFdException;
import io.multifd.api.ProtocolCode;
import io.multifd.api.ReturnHandler;
import io.multifd.api.SendData;
import io.multifd.api.SendSession;
import io.multifd.api.SessionId;
import io.multifd.api.spi.Codec;
import io.multifd.api.spi.PayloadPlugin;
import io.multifd.api.spi.TransportConnector;
import io.multifd.core.session.Durations;
import io.multifd.core.session.PayloadCounters;
import io.multifd.core.session.SafeListener;
import io.multifd.core.session.SendCoordinator;
import io.multifd.core.session.SessionThreads;
import io.multifd.core.session.ThreadJoins;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The sending side of a migration: N channels, one thread each, moving {@link SendData} slots to
 * a {@link MultiFdReceiver}. It never looks inside a slot: the payload plug-in that tagged it
 * prepares the packet on the channel thread, and the session's codec encodes
 * its data.
 *
 * <pre>{@code
 * try (MultiFdSender sender = MultiFdSender.builder(config, TcpTransport.connector(address)).build()) {
 *     RamSaver ram = RamSaver.open(sender, blocks);   // declares its setup record, owns its slot
 *     sender.connect();                               // channels, hellos, manifest
 *     ram.saveAll();                                  // round 1 (ends with sync())
 *     sender.finish();                                // confirmed by the receiver, or throws
 * }
 * }</pre>
 *
 * <h2>Life cycle</h2>
 * {@code build()} makes a <b>new</b> sender (no I/O): clients open on it and
 * {@linkplain #declare declare} their setup records. {@link #connect()} opens every channel in
 * parallel (each on its own thread {@code multifd-send-<short session id>-ch<id>}), exchanges
 * hellos, sends the manifest on channel 0 and returns once all are accepted. Then clients {@link #send} and
 * {@link #sync}. {@link #finish()} syncs, ends every channel and returns only when the receiver
 * confirmed that it applied everything ({@link #finishAsync()} does the same on a library
 * thread and returns a future). {@link #close()} releases everything; before
 * {@code finish()} completed it aborts the migration and tells the receiver why.
 *
 * <h2>Threads and ownership</h2>
 * Thread-safe. Each client keeps its own slot and swaps it on {@link #send} for an idle
 * channel's empty slot (round-robin from the last one used), without a lock: the client claims
 * the channel with a compare-and-set on the channel's busy flag, which also makes the slot the
 * channel cleared visible to it, and publishes its filled slot with a volatile write that the
 * channel thread reads before it touches the slot. What {@code finish()} does with a slot a
 * client still holds: nothing. Clients flush their half-filled slots first (the RAM saver's
 * rounds end with a flush and a sync); a slot that was never passed to {@code send} is not sent.
 * The library's own threads are named {@code multifd-send-<short session id>-<role>} (the first
 * eight hex digits of {@link #sessionId()}) and come from the
 * {@linkplain SessionBuilder#threadFactory thread factory} if one was set.
 *
 * <h2>Failure</h2>
 * The first error on any channel or thread, or the receiver's ERROR, fails the whole migration:
 * every blocked or later call throws a {@link MigrationFailedException} carrying that first
 * cause, the receiver is told (an ABORT packet where the channel still works), every channel is
 * closed within a short grace period, and every thread ends. The library never writes to the
 * memory it sends.
 */
public final class MultiFdSender implements SendSession, AutoCloseable {

    private final MultiFdConfig config;
    private final TransportConnector connector;
    private final PluginRegistry registry;
    private final SafeListener listener;
    private static final System.Logger LOG = System.getLogger(MultiFdSender.class.getName());
    private final SessionId sessionId;
    private final PayloadCounters[] counters;
    /** The session-wide state, the channels and every wait on them. */
    private final SendCoordinator session;
    private final SessionThreads threads;
    private final AtomicBoolean finishAsyncCalled = new AtomicBoolean();
    /** The thread {@link #finishAsync()} started, joined by {@link #close()}; null before. */
    private volatile Thread finishThread;

    private MultiFdSender(Builder b) {
        this.config = b.config;
        this.connector = b.connector;
        this.registry = b.composeRegistry();
        this.listener = new SafeListener(b.listenerOrNone());
        this.sessionId = config.sessionId().orElseGet(SessionId::random);
        PayloadPlugin<?>[] plugins = registry.payloads().toArray(new PayloadPlugin<?>[0]);
        this.counters = new PayloadCounters[plugins.length];
        for (int i = 0; i < plugins.length; i++) {
            counters[i] = new PayloadCounters(plugins[i].id(), plugins[i].name());
        }
        this.threads = new SessionThreads(b.threadFactoryOrNull(), "send", sessionId);
        this.session = new SendCoordinator(config, sessionId, listener, plugins, counters, threads);
    }

    /**
     * Starts building a sender.
     *
     * @param config    the configuration (channel count, codec, caps, timeouts, bandwidth cap)
     * @param connector how to reach the receiver, e.g. {@code TcpTransport.connector(address)}
     * @return a builder
     */
    public static Builder builder(MultiFdConfig config, TransportConnector connector) {
        return new Builder(config, connector);
    }

    // ------------------------------------------------------------------ SendSession

    @Override
    public MultiFdConfig config() {
        return config;
    }

    @Override
    public SessionId sessionId() {
        return sessionId;
    }

    /** The plug-ins and codecs this sender can use. */
    public PluginRegistry registry() {
        return registry;
    }

    @Override
    public <P extends PayloadPlugin<?>> Optional<P> payload(Class<P> type) {
        return registry.payload(type);
    }

    @Override
    public void declare(PayloadPlugin<?> plugin, ByteBuffer setupRecord) {
        Objects.requireNonNull(setupRecord, "setupRecord");
        int idx = registeredIndex(plugin);
        if (setupRecord.remaining() > config.maxManifestLength() - 64) {
            throw new IllegalArgumentException("setup record of '" + plugin.name() + "' is " + setupRecord.remaining()
                    + " bytes, over maxManifestLength " + config.maxManifestLength());
        }
        byte[] copy = new byte[setupRecord.remaining()];
        setupRecord.get(setupRecord.position(), copy);
        session.declared().declare(idx, copy, plugin.name(), session.state().words());
    }

    /** {@inheritDoc} The hellos then ask the receiver for a return path. */
    @Override
    public void onReturn(PayloadPlugin<?> plugin, ReturnHandler handler) {
        Objects.requireNonNull(handler, "handler");
        session.declared().onReturn(registeredIndex(plugin), handler, plugin.name(), session.state().words());
    }

    private int registeredIndex(PayloadPlugin<?> plugin) {
        int idx = session.indexOf(Objects.requireNonNull(plugin, "plugin"));
        if (idx < 0) {
            throw new IllegalArgumentException("payload plug-in '" + plugin.name() + "' (" + plugin.getClass().getName()
                    + ") is not the instance registered with this sender; use sender.payload(Class)");
        }
        return idx;
    }

    @Override
    public SendData newSlot() {
        return new SendData();
    }

    @Override
    public Optional<Throwable> failure() {
        return session.failed() ? Optional.ofNullable(session.firstError()) : Optional.empty();
    }

    @Override
    public MigrationListener listener() {
        return listener;
    }

    // ------------------------------------------------------------------ connect

    /**
     * Opens every channel in parallel, exchanges hellos, sends the manifest on channel 0, and
     * returns once the receiver accepted all of it. Called once, by the owner.
     *
     * @throws MigrationFailedException if a channel cannot connect within the connect timeout,
     *                                  the receiver refuses a hello or the manifest (the cause is
     *                                  a {@link HandshakeRefusedException} naming the field), or
     *                                  anything else fails; everything is closed again
     * @throws io.multifd.api.PluginUnavailableException if the configured codec is not available
     * @throws IllegalArgumentException if the codec refuses its options
     * @throws IllegalStateException    if called twice
     */
    public void connect() throws IOException {
        Codec h = registry.requireCodec(config.codec());
        h.validate(config.codecOptions());
        session.connect(h, connector);
        listener.onConnected(sessionId, config.channels(), h.name());
    }

    // ------------------------------------------------------------------ send / sync

    /**
     * {@inheritDoc}
     *
     * <p>The hand-over allocates nothing and takes no lock: the client claims an idle channel
     * with a compare-and-set on its {@code busy} flag (acquire: it sees the slot the channel
     * cleared before releasing the flag), stores its slot, publishes it with a volatile write of
     * {@code jobPending} (release: the channel thread reads the flag, then the slot and the body)
     * and unparks the channel thread. A client that finds no idle channel registers itself as a
     * waiter, scans once more, and parks; a channel that turns idle unparks the waiters.
     */
    @Override
    public SendData send(SendData filled) throws IOException {
        return session.send(filled);
    }

    @Override
    public long sync() throws IOException {
        return session.sync(false);
    }

    // ------------------------------------------------------------------ bandwidth

    /**
     * Changes the bandwidth cap (bytes per second written on all channels together, headers
     * included), before or while the migration runs; it starts as
     * {@link MultiFdConfig#maxBandwidth()}. Takes effect within one chunk of about 50 ms per
     * channel: writers waiting for bandwidth wake up and wait again at the new rate. Thread-safe:
     * any thread, any time (after the migration ended it changes nothing).
     *
     * @param bytesPerSecond 0 to remove the cap, otherwise at least 4096
     * @throws IllegalArgumentException if out of range
     */
    public void maxBandwidth(long bytesPerSecond) {
        long old = session.limiter().change(bytesPerSecond);
        if (old != bytesPerSecond) {
            LOG.log(System.Logger.Level.INFO, "migration " + sessionId + ": bandwidth cap changed from "
                    + Durations.rate(old) + " to " + Durations.rate(bytesPerSecond));
        }
    }

    /**
     * The bandwidth cap now: the configured one, or the last set with {@link #maxBandwidth(long)}.
     * Any thread.
     *
     * @return bytes per second, 0 for no cap
     */
    public long maxBandwidth() {
        return session.limiter().rate();
    }

    // ------------------------------------------------------------------ finish / close

    /**
     * Ends the migration: syncs, writes end-of-stream on every channel, waits (up to the finish
     * timeout) until the receiver reports that it applied everything (COMPLETED on every
     * channel, with counts matching what was sent), then commits. Called once, by the owner,
     * after every client flushed and stopped sending.
     *
     * @return the final statistics
     * @throws MigrationFailedException if anything failed, carrying the first cause; then the
     *                                  migration did not complete
     * @throws IllegalStateException    if not connected
     */
    public MigrationStats finish() throws IOException {
        session.finish();
        MigrationStats s = stats();
        listener.onCompleted(s);
        return s;
    }

    /**
     * {@link #finish()} without blocking the caller: it runs on a new library thread
     * ({@code multifd-send-<short session id>-finish}, made by the
     * {@linkplain SessionBuilder#threadFactory thread factory}), which completes the returned
     * future as its last action. Called once, by the owner, where {@code finish()} would be.
     *
     * <pre>{@code
     * sender.finishAsync().whenComplete((stats, error) -> log(stats, error));
     * }</pre>
     *
     * <p>The future completes with the final statistics, or exceptionally with exactly what
     * {@code finish()} would have thrown: a {@link MigrationFailedException} carrying the first
     * cause, or an {@link IllegalStateException} if not connected ({@code get()} wraps it in an
     * {@link java.util.concurrent.ExecutionException}, {@code join()} in a
     * {@link java.util.concurrent.CompletionException}). A second call returns a future failed
     * with an {@code IllegalStateException}; if the thread factory fails, the future fails with
     * its error and the sender is unchanged. Stages added without an executor
     * ({@code thenApply}, {@code whenComplete}) run on the finishing thread: keep them short,
     * or pass an executor.
     *
     * <p>{@code cancel(true)} or {@code cancel(false)} on the returned future (not on stages
     * derived from it) aborts the migration as {@link #close()} does (the receiver is told),
     * unless the receiver already confirmed everything (the commit point), and completes the
     * future with a {@link java.util.concurrent.CancellationException} at once; it does not wait
     * for the threads to end: {@code close()} still does that. A timeout on the future
     * ({@code orTimeout}) does not abort anything.
     *
     * @return a future of the final statistics; never null
     */
    public CompletableFuture<MigrationStats> finishAsync() {
        MigrationFuture f = new MigrationFuture(() -> session.fail(new MultiFdException(ProtocolCode.ABORTED,
                "the future of the sender's finishAsync() was cancelled")));
        if (!finishAsyncCalled.compareAndSet(false, true)) {
            f.completeExceptionally(new IllegalStateException("finishAsync() was already called"));
            return f;
        }
        Thread t;
        try {
            t = threads.newThread(() -> {
                try {
                    f.complete(finish());
                } catch (Throwable e) {
                    f.completeExceptionally(e);
                }
            }, "finish");
        } catch (RuntimeException e) {
            finishAsyncCalled.set(false);
            f.completeExceptionally(e);
            return f;
        }
        finishThread = t;
        t.start();
        return f;
    }

    /**
     * Aborts the migration without waiting; any thread, any state. Blocked and later calls throw a
     * {@link MigrationFailedException} whose cause ({@link ProtocolCode#ABORTED}) names this
     * sender's {@code cancel()} and the calling thread; the receiver is told the same and fails.
     * Before {@code connect()} it makes {@code connect()} fail; past the commit point or after a
     * failure it changes nothing. {@link #close()} still waits for the threads.
     */
    public void cancel() {
        session.cancel("the sender was cancelled (cancel() on thread '" + Thread.currentThread().getName() + "')");
    }

    /**
     * Releases everything. After {@link #finish()} succeeded it only waits for the threads to
     * end; before, it aborts the migration (the receiver is told, then every channel closes) and
     * waits for every thread to end (a few seconds at most), including the thread of
     * {@link #finishAsync()}. Never throws; idempotent; any thread. Called on one of the sender's
     * own threads (a {@link io.multifd.api.MigrationListener} callback, a plug-in's thread) it
     * aborts at once and leaves the waiting to a thread of its own, {@code multifd-send-*-close}:
     * waiting there would wait for the caller itself.
     */
    @Override
    public void close() {
        if (!threads.closeElsewhereIfOwn(session::abortForClose, this::closeAndWait, LOG)) {
            closeAndWait();
        }
    }

    private void closeAndWait() {
        session.close();
        ThreadJoins.join(finishThread, ThreadJoins.shutdownDeadline(TimeUnit.SECONDS.toNanos(2)));
    }

    // ------------------------------------------------------------------ stats

    @Override
    public MigrationStats stats() {
        return session.stats();
    }

    @Override
    public String toString() {
        return "MultiFdSender[" + sessionId + ", " + config.channels() + " channels, " + config.codec()
                + ", " + connector.description() + "]";
    }

    // ------------------------------------------------------------------ builder

    /**
     * Builds a {@link MultiFdSender}. Not thread-safe. The setters shared with the receiver's
     * builder are in {@link SessionBuilder}.
     */
    public static final class Builder extends SessionBuilder<Builder> {
        private final TransportConnector connector;

        private Builder(MultiFdConfig config, TransportConnector connector) {
            super(config);
            this.connector = Objects.requireNonNull(connector, "connector");
        }

        @Override
        Builder self() {
            return this;
        }

        /**
         * Makes the sender, without any I/O.
         *
         * @return a new sender
         * @throws IllegalStateException    if plug-in discovery fails
         * @throws IllegalArgumentException if plug-ins clash
         */
        public MultiFdSender build() {
            return new MultiFdSender(this);
        }
    }
}
