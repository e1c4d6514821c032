package io.multifd.core;

import io.multifd.api.ChannelStats;
import io.multifd.api.ChannelTimeoutException;
import io.multifd.api.CodecOptions;
import io.multifd.api.MalformedPacketException;
import io.multifd.api.MigrationFailedException;
import io.multifd.api.MigrationListener;
import io.multifd.api.MigrationStats;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.MultiFdException;
import io.multifd.api.PayloadStats;
import io.multifd.api.PluginUnavailableException;
import io.multifd.api.ProtocolCode;
import io.multifd.api.RemoteFailureException;
import io.multifd.api.SessionId;
import io.multifd.api.SetupRefusedException;
import io.multifd.api.spi.DataTargets;
import io.multifd.api.spi.CodecContext;
import io.multifd.api.spi.CodecDecoder;
import io.multifd.api.spi.IncomingPacket;
import io.multifd.api.spi.PayloadChannelReceiver;
import io.multifd.api.spi.PayloadPlugin;
import io.multifd.api.spi.PayloadReceiver;
import io.multifd.api.spi.ReceiveContext;
import io.multifd.api.spi.Codec;
import io.multifd.api.spi.TransportChannel;
import io.multifd.api.spi.TransportListener;
import io.multifd.core.channel.ChannelIo;
import io.multifd.core.wire.Crc;
import io.multifd.core.session.Durations;
import io.multifd.core.wire.Hello;
import io.multifd.core.wire.Manifest;
import io.multifd.core.wire.PacketHeader;
import io.multifd.core.session.PayloadCounters;
import io.multifd.core.wire.Reply;
import io.multifd.core.session.SafeListener;
import io.multifd.core.session.SyncBarrier;
import io.multifd.core.channel.Watchdog;
import io.multifd.core.wire.Wire;

import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The receiving side of a migration: accepts N channels, answers their hellos, hands the
 * manifest to the payload plug-ins, runs one thread per channel ({@code multifd-recv-<id>}) that
 * validates, decodes and dispatches packets by payload type, keeps the sync barrier, and reports
 * COMPLETED only after every channel reached its end and every plug-in finished.
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
 * {@link #await()} may be called from any thread, {@link #close()} too. After {@code await}
 * returns or throws, every thread of this receiver has ended.
 *
 * <h2>Failure</h2>
 * The first error on any channel, in any plug-in, or the sender's ABORT fails the migration: the
 * sender is told (an ERROR reply on every channel), every wait is aborted, every channel closes,
 * every thread ends, and {@code await()} throws a {@link MigrationFailedException} carrying the
 * first cause. The receiver never reports success for a stream that was cut, truncated or
 * inconsistent.
 */
public final class MultiFdReceiver implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(MultiFdReceiver.class.getName());
    private static final long NO_TIMEOUT = TimeUnit.DAYS.toNanos(3650);
    /** Extra time the receiver gives the sender's commit beyond the finish timeout. */
    private static final Duration COMMIT_MARGIN = Duration.ofSeconds(2);

    private enum State { NEW, RUNNING, COMPLETED, FAILED }

    private final MultiFdConfig config;
    private final TransportListener transport;
    private final PluginRegistry registry;
    private final SafeListener listener;
    private final PayloadPlugin<?>[] plugins;
    private final PayloadCounters[] counters;
    private final boolean barrierDisabled;
    private final long graceNanos;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();

    // guarded by lock
    private State state = State.NEW;
    private Throwable firstError;
    private boolean done;
    private MigrationStats result;
    private RecvChannel[] channels = new RecvChannel[0];
    private int acceptedCount;
    private boolean manifestApplied;
    private int eosCount;
    private boolean completedWritten;
    private int commitCount;
    private final List<ChannelIo> pending = new ArrayList<>();
    private volatile boolean failed;

    // fixed by the first accepted hello
    private volatile SessionId sessionId;
    private volatile int channelCount;
    private volatile Codec codec;
    private volatile CodecOptions codecOptions;
    private volatile int maxDataLength;
    private volatile PayloadReceiver[] receivers;
    private volatile SyncBarrier barrier;

    private volatile Watchdog watchdog;
    private final Thread mainThread;
    private volatile long startNanos;
    private volatile long endNanos;
    private final AtomicInteger threadCounter = new AtomicInteger();

    private MultiFdReceiver(Builder b) {
        this.config = b.config;
        this.transport = b.transport;
        this.registry = PluginRegistry.compose(b.registry, b.payloads, b.codecs);
        this.listener = new SafeListener(b.listener);
        this.plugins = registry.payloads().toArray(new PayloadPlugin<?>[0]);
        this.counters = new PayloadCounters[plugins.length];
        for (int i = 0; i < plugins.length; i++) {
            counters[i] = new PayloadCounters(plugins[i].id(), plugins[i].name());
        }
        this.barrierDisabled = b.barrierDisabled;
        this.graceNanos = Math.min(config.ioTimeout().toNanos(), TimeUnit.SECONDS.toNanos(2));
        this.mainThread = new Thread(this::runMain, "multifd-recv-main");
        this.mainThread.setDaemon(true);
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
     * @throws IllegalStateException if already started
     */
    public MultiFdReceiver start() {
        lock.lock();
        try {
            if (state != State.NEW || done) {
                throw new IllegalStateException("start() was already called");
            }
            state = State.RUNNING;
            long tick = Math.min(config.ioTimeout().toNanos(), config.handshakeTimeout().toNanos()) / 8;
            watchdog = new Watchdog("multifd-recv-watchdog", Math.min(tick, TimeUnit.MILLISECONDS.toNanos(250)));
        } finally {
            lock.unlock();
        }
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
     * @throws ChannelTimeoutException  if it did not end in time (the migration goes on)
     * @throws MigrationFailedException carrying the first cause if the migration failed
     * @throws InterruptedIOException   if interrupted
     */
    public MigrationStats await(Duration timeout) throws IOException {
        long left = timeout.toNanos();
        lock.lock();
        try {
            if (state == State.NEW) {
                throw new IllegalStateException("await() before start()");
            }
            while (!done) {
                if (left <= 0) {
                    throw new ChannelTimeoutException("the migration did not end within " + Durations.format(timeout));
                }
                left = changed.awaitNanos(left);
            }
            if (firstError != null) {
                throw new MigrationFailedException("migration failed", firstError);
            }
            return result;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the migration");
        } finally {
            lock.unlock();
        }
    }

    /**
     * Aborts the migration if it has not ended (the sender is told), waits a few seconds at most
     * for every thread to end, and releases everything. Never throws; idempotent; any thread.
     */
    @Override
    public void close() {
        boolean started;
        lock.lock();
        try {
            started = state != State.NEW || done;
            if (!started) {
                done = true;
                state = State.FAILED;
                firstError = new MultiFdException(ProtocolCode.ABORTED, "the receiver was closed before start()");
            }
        } finally {
            lock.unlock();
        }
        if (!started) {
            closeQuietly(transport);
            return;
        }
        fail(new MultiFdException(ProtocolCode.ABORTED, "the receiver was closed before the migration ended"));
        if (Thread.currentThread() != mainThread) {
            try {
                mainThread.join(TimeUnit.NANOSECONDS.toMillis(graceNanos) + 10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** A snapshot of the counters; any thread, any time. */
    public MigrationStats stats() {
        RecvChannel[] cs;
        long syncs;
        lock.lock();
        try {
            cs = channels;
        } finally {
            lock.unlock();
        }
        SyncBarrier b = barrier;
        syncs = b == null ? 0 : b.passedEpochs();
        List<ChannelStats> per = new ArrayList<>();
        long packets = 0;
        long raw = 0;
        long wire = 0;
        for (RecvChannel c : cs) {
            if (c == null) {
                continue;
            }
            ChannelStats s = new ChannelStats(c.id, c.packets, c.rawBytes, c.io.offset(), c.syncs);
            per.add(s);
            packets += s.packets();
            raw += s.rawBytes();
            wire += s.wireBytes();
        }
        List<PayloadStats> ps = new ArrayList<>();
        PayloadReceiver[] rs = receivers;
        for (int i = 0; i < counters.length; i++) {
            if ((rs != null && rs[i] != null) || !counters[i].isEmpty()) {
                ps.add(counters[i].snapshot());
            }
        }
        long start = startNanos;
        long end = endNanos != 0 ? endNanos : System.nanoTime();
        Duration elapsed = start == 0 ? Duration.ZERO : Duration.ofNanos(Math.max(0, end - start));
        Codec h = codec;
        return new MigrationStats(sessionId, channelCount, h == null ? "" : h.name(), elapsed, packets, raw, wire,
                syncs, per, ps);
    }

    @Override
    public String toString() {
        return "MultiFdReceiver[" + transport.description() + "]";
    }

    // ------------------------------------------------------------------ coordinating thread

    private void runMain() {
        try {
            acceptAll();
            closeQuietly(transport);
            listener.onConnected(sessionId, channelCount, codec.name());
            awaitCondition(() -> eosCount == channelCount, NO_TIMEOUT, null);
            long deadline = System.nanoTime() + config.finishTimeout().toNanos();
            for (PayloadReceiver r : receivers) {
                if (r != null) {
                    long left = Math.max(1, deadline - System.nanoTime());
                    r.finish(Duration.ofNanos(left));
                    checkNotFailed();
                }
            }
            for (RecvChannel c : channels) {
                c.writeReply(Reply.completed(c.packets, c.rawBytes), "COMPLETED");
            }
            lock.lock();
            try {
                completedWritten = true;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
            awaitCondition(() -> commitCount == channelCount,
                    config.finishTimeout().plus(COMMIT_MARGIN).toNanos() + graceNanos,
                    () -> new ChannelTimeoutException("the sender did not commit within "
                            + Durations.format(config.finishTimeout()) + " after COMPLETED; its outcome is unknown"));
            endNanos = System.nanoTime();
            MigrationStats s = stats();
            lock.lock();
            try {
                if (firstError == null) {
                    state = State.COMPLETED;
                    result = s;
                }
            } finally {
                lock.unlock();
            }
        } catch (Throwable t) {
            fail(t);
        } finally {
            shutdown();
        }
    }

    private interface Check {
        boolean ok();
    }

    private interface TimeoutError {
        IOException make();
    }

    private void awaitCondition(Check check, long timeoutNanos, TimeoutError onTimeout) throws IOException {
        long deadline = System.nanoTime() + timeoutNanos;
        lock.lock();
        try {
            while (true) {
                if (firstError != null) {
                    throw new MigrationFailedException("aborted", firstError);
                }
                if (check.ok()) {
                    return;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw onTimeout.make();
                }
                changed.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        } finally {
            lock.unlock();
        }
    }

    private void checkNotFailed() throws MigrationFailedException {
        Throwable f = firstErrorSnapshot();
        if (f != null) {
            throw new MigrationFailedException("aborted", f);
        }
    }

    /** Accepts connections until every channel announced by the first hello is in. */
    private void acceptAll() throws IOException {
        long deadline = System.nanoTime() + config.acceptTimeout().toNanos();
        while (true) {
            lock.lock();
            try {
                if (firstError != null) {
                    throw new MigrationFailedException("aborted", firstError);
                }
                if (channelCount > 0 && acceptedCount == channelCount) {
                    return;
                }
            } finally {
                lock.unlock();
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new ChannelTimeoutException(acceptedCount + " of "
                        + (channelCount == 0 ? "the expected" : String.valueOf(channelCount))
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
            lock.lock();
            try {
                if (firstError != null) {
                    io.close();
                    throw new MigrationFailedException("aborted", firstError);
                }
                pending.add(io);
            } finally {
                lock.unlock();
            }
            handshake(io);
        }
    }

    /** Reads one hello, checks it against the session, answers, and starts the channel thread. */
    private void handshake(ChannelIo io) throws IOException {
        Hello h;
        try {
            h = Hello.read(io);
        } catch (MalformedPacketException e) {
            throw refuse(io, e);
        }
        int ch = h.channelId();
        long offset = 0;
        if (h.maxVersion() < Wire.MIN_VERSION || h.minVersion() > Wire.MAX_VERSION) {
            throw refuse(io, new MalformedPacketException(ProtocolCode.UNSUPPORTED_VERSION, ch, offset, "hello.version",
                    h.minVersion() + ".." + h.maxVersion(), "this receiver speaks " + Wire.MIN_VERSION + ".." + Wire.MAX_VERSION));
        }
        int version = Math.min(h.maxVersion(), Wire.MAX_VERSION);
        RecvChannel channel;
        lock.lock();
        try {
            if (sessionId == null) {
                if (h.channelCount() > config.maxChannels()) {
                    throw refuse(io, new MalformedPacketException(ProtocolCode.CHANNEL_COUNT, ch, offset,
                            "hello.channel count", h.channelCount(), "exceeds this receiver's limit " + config.maxChannels()));
                }
                Codec hk = registry.codec(h.codecId()).orElse(null);
                if (hk == null) {
                    throw refuse(io, new MalformedPacketException(ProtocolCode.UNKNOWN_HOOK, ch, offset, "hello.codec id",
                            h.codecId(), "no such codec here (present: " + registry.codecNames() + ")"));
                }
                if (!config.allowedCodecs().isEmpty() && !config.allowedCodecs().contains(hk.name())) {
                    throw refuse(io, new MalformedPacketException(ProtocolCode.UNKNOWN_HOOK, ch, offset, "hello.codec id",
                            hk.name(), "not allowed by this receiver (allowed: " + config.allowedCodecs() + ")"));
                }
                try {
                    hk.checkAvailable();
                } catch (PluginUnavailableException e) {
                    throw refuse(io, new MalformedPacketException(ProtocolCode.UNKNOWN_HOOK, ch, offset, "hello.codec id",
                            hk.name(), e.getMessage(), e));
                }
                CodecOptions opts;
                try {
                    opts = CodecOptions.parse(h.codecParameters());
                    hk.validate(opts);
                } catch (IllegalArgumentException e) {
                    throw refuse(io, new MalformedPacketException(ProtocolCode.HOOK_PARAMETERS, ch, offset,
                            "hello.codec parameters", h.codecParameters(), e.getMessage()));
                }
                if (h.maxPacketDataLength() < MultiFdConfig.MIN_PACKET_DATA_LENGTH
                        || h.maxPacketDataLength() > config.maxPacketDataLength()) {
                    throw refuse(io, new MalformedPacketException(ProtocolCode.PACKET_LENGTH, ch, offset,
                            "hello.max packet data length", Integer.toUnsignedLong(h.maxPacketDataLength()),
                            "must be " + MultiFdConfig.MIN_PACKET_DATA_LENGTH + " to this receiver's maxPacketDataLength "
                                    + config.maxPacketDataLength()));
                }
                sessionId = h.sessionId();
                startNanos = System.nanoTime(); // elapsed counts from the first accepted channel
                channelCount = h.channelCount();
                codec = hk;
                codecOptions = opts;
                maxDataLength = h.maxPacketDataLength();
                channels = new RecvChannel[channelCount];
                SyncBarrier b = new SyncBarrier(channelCount, this::firstErrorSnapshot, listener::onSync);
                if (barrierDisabled) {
                    b.disableForTesting();
                }
                barrier = b;
            } else {
                if (!h.sessionId().equals(sessionId)) {
                    throw refuse(io, new MalformedPacketException(ProtocolCode.SESSION_MISMATCH, ch, offset,
                            "hello.session id", h.sessionId(), "this session is " + sessionId));
                }
                if (h.channelCount() != channelCount) {
                    throw refuse(io, new MalformedPacketException(ProtocolCode.CHANNEL_COUNT, ch, offset,
                            "hello.channel count", h.channelCount(), "earlier channels announced " + channelCount));
                }
                if (h.codecId() != codec.id()) {
                    throw refuse(io, new MalformedPacketException(ProtocolCode.UNKNOWN_HOOK, ch, offset, "hello.codec id",
                            h.codecId(), "earlier channels announced " + codec.id() + " (" + codec.name() + ")"));
                }
                if (!h.codecParameters().equals(codecOptions.toString())) {
                    throw refuse(io, new MalformedPacketException(ProtocolCode.HOOK_PARAMETERS, ch, offset,
                            "hello.codec parameters", h.codecParameters(), "earlier channels announced '" + codecOptions + "'"));
                }
                if (h.maxPacketDataLength() != maxDataLength) {
                    throw refuse(io, new MalformedPacketException(ProtocolCode.PACKET_LENGTH, ch, offset,
                            "hello.max packet data length", h.maxPacketDataLength(), "earlier channels announced " + maxDataLength));
                }
            }
            if (channels[ch] != null) {
                throw refuse(io, new MalformedPacketException(ProtocolCode.DUPLICATE_CHANNEL, ch, offset, "hello.channel id",
                        ch, "a channel with this id was already accepted"));
            }
            io.channelId(ch);
            channel = new RecvChannel(ch, io);
            channels[ch] = channel;
            acceptedCount++;
            pending.remove(io);
        } finally {
            lock.unlock();
        }
        channel.writeReply(Reply.helloAccept(version), "HELLO_ACCEPT");
        channel.thread.start();
    }

    /**
     * Fails the migration with {@code e} (first, so that nothing the peer does after reading the
     * refusal can claim to be the first error), then sends the refusal on {@code io}.
     */
    private MalformedPacketException refuse(ChannelIo io, MalformedPacketException e) {
        fail(e, io);
        try {
            io.forceCloseAfter(graceNanos);
            io.writeFully(Reply.failure(Wire.REPLY_HELLO_REFUSE, e.code(), e.getMessage()).encode(), "HELLO_REFUSE");
            io.shutdownOutput();
        } catch (IOException | RuntimeException x) {
            LOG.log(System.Logger.Level.DEBUG, "could not send a refusal: " + x);
        }
        return e;
    }

    // ------------------------------------------------------------------ failure and shutdown

    private Throwable firstErrorSnapshot() {
        lock.lock();
        try {
            return firstError;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Fails the migration unless it already failed. Any thread.
     *
     * @param cause the error
     */
    void fail(Throwable cause) {
        fail(cause, null);
    }

    /**
     * Fails the migration unless it already failed, leaving {@code spare} alone (its owner is
     * about to write a refusal on it).
     */
    private void fail(Throwable cause, ChannelIo spare) {
        RecvChannel[] cs;
        List<ChannelIo> pend;
        lock.lock();
        try {
            if (firstError != null || state == State.COMPLETED) {
                if (cause != firstError) {
                    LOG.log(System.Logger.Level.DEBUG, "later error after the migration ended: " + cause);
                }
                return;
            }
            firstError = cause;
            failed = true;
            state = State.FAILED;
            endNanos = System.nanoTime();
            changed.signalAll();
            cs = channels.clone();
            pend = new ArrayList<>(pending);
        } finally {
            lock.unlock();
        }
        LOG.log(System.Logger.Level.WARNING, "migration " + (sessionId == null ? "(before the first hello)" : sessionId) + " failed: " + cause.getMessage());
        SyncBarrier b = barrier;
        if (b != null) {
            b.abort();
        }
        PayloadReceiver[] rs = receivers;
        if (rs != null) {
            for (PayloadReceiver r : rs) {
                if (r != null) {
                    try {
                        r.abort(cause);
                    } catch (RuntimeException e) {
                        LOG.log(System.Logger.Level.DEBUG, "payload abort failed", e);
                    }
                }
            }
        }
        ProtocolCode code = cause instanceof MultiFdException m ? m.code() : ProtocolCode.FAILED;
        if (!(cause instanceof RemoteFailureException)) {
            String msg = String.valueOf(cause.getMessage());
            for (RecvChannel c : cs) {
                if (c != null && c.io != spare) {
                    c.io.forceCloseAfter(graceNanos);
                    c.writeReplyQuietly(Reply.failure(Wire.REPLY_ERROR, code, msg));
                }
            }
        }
        for (RecvChannel c : cs) {
            if (c != null && c.io != spare) {
                c.io.forceCloseAfter(graceNanos);
                c.io.shutdownOutput();
            }
        }
        for (ChannelIo io : pend) {
            if (io != spare) {
                io.close();
            }
        }
        closeQuietly(transport);
        listener.onFailed(cause);
    }

    /** Runs on the main thread at the end: joins every channel, closes plug-ins, publishes the result. */
    private void shutdown() {
        RecvChannel[] cs;
        List<ChannelIo> pend;
        lock.lock();
        try {
            cs = channels.clone();
            pend = new ArrayList<>(pending);
        } finally {
            lock.unlock();
        }
        for (ChannelIo io : pend) {
            io.close();
        }
        closeQuietly(transport);
        long deadline = System.nanoTime() + graceNanos + TimeUnit.SECONDS.toNanos(5);
        for (RecvChannel c : cs) {
            if (c != null) {
                if (!failed) {
                    c.io.forceCloseAfter(graceNanos);
                }
                joinQuietly(c.thread, deadline);
                c.io.close();
            }
        }
        PayloadReceiver[] rs = receivers;
        if (rs != null) {
            for (PayloadReceiver r : rs) {
                if (r != null) {
                    try {
                        r.close();
                    } catch (RuntimeException e) {
                        LOG.log(System.Logger.Level.WARNING, "payload receiver close failed", e);
                    }
                }
            }
        }
        watchdog.close();
        MigrationStats s;
        lock.lock();
        try {
            if (endNanos == 0) {
                endNanos = System.nanoTime();
            }
            done = true;
            s = result;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (s != null) {
            listener.onCompleted(s);
        }
    }

    private static void joinQuietly(Thread t, long deadline) {
        if (t == null || t == Thread.currentThread() || t.getState() == Thread.State.NEW) {
            return;
        }
        try {
            long left = deadline - System.nanoTime();
            if (left > 0) {
                TimeUnit.NANOSECONDS.timedJoin(t, left);
            }
            if (t.isAlive()) {
                LOG.log(System.Logger.Level.WARNING, t.getName() + " did not end in time");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            LOG.log(System.Logger.Level.DEBUG, "close failed: " + e);
        }
    }

    private int indexOfType(int typeId) {
        for (int i = 0; i < plugins.length; i++) {
            if (plugins[i].id() == typeId) {
                return i;
            }
        }
        return -1;
    }

    // ------------------------------------------------------------------ manifest

    /** Channel 0: reads the manifest, opens a receiver per record, answers. */
    private void applyManifest(RecvChannel c) throws IOException {
        Manifest m;
        try {
            m = Manifest.read(c.io, config.maxManifestLength());
        } catch (MalformedPacketException e) {
            throw refuseManifest(c, e, e.code(), e.getMessage());
        }
        PayloadReceiver[] rs = new PayloadReceiver[plugins.length];
        ReceiveContext ctx = new Context();
        receivers = rs;
        for (Manifest.Record r : m.records()) {
            int idx = indexOfType(r.typeId());
            if (idx < 0) {
                MalformedPacketException e = new MalformedPacketException(ProtocolCode.UNKNOWN_PAYLOAD, 0, -1,
                        "manifest.payload type", r.typeId(), "this receiver has no payload plug-in with that id (present: "
                        + registry.payloadNames() + ")");
                throw refuseManifest(c, e, e.code(), e.getMessage());
            }
            PayloadPlugin<?> p = plugins[idx];
            try {
                rs[idx] = Objects.requireNonNull(p.openReceiver(ctx, ByteBuffer.wrap(r.bytes()).asReadOnlyBuffer()),
                        () -> p.name() + ": openReceiver returned null");
            } catch (SetupRefusedException e) {
                throw refuseManifest(c, e, ProtocolCode.SETUP_REFUSED, p.name() + ": " + e.getMessage());
            } catch (RuntimeException e) {
                SetupRefusedException s = new SetupRefusedException(p.name() + ": could not open its receiver: " + e, e);
                throw refuseManifest(c, s, ProtocolCode.SETUP_REFUSED, s.getMessage());
            }
        }
        c.writeReply(Reply.manifestAccept(), "MANIFEST_ACCEPT");
        lock.lock();
        try {
            manifestApplied = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Fails the migration first, then tells the sender why its manifest was refused. */
    private <E extends IOException> E refuseManifest(RecvChannel c, E e, ProtocolCode code, String message) {
        fail(e, c.io);
        try {
            c.writeReply(Reply.failure(Wire.REPLY_MANIFEST_REFUSE, code, message), "MANIFEST_REFUSE");
            c.io.shutdownOutput();
        } catch (IOException | RuntimeException x) {
            LOG.log(System.Logger.Level.DEBUG, "could not send the manifest refusal: " + x);
        }
        return e;
    }

    private final class Context implements ReceiveContext {
        @Override
        public SessionId sessionId() {
            return sessionId;
        }

        @Override
        public int channelCount() {
            return channelCount;
        }

        @Override
        public MultiFdConfig config() {
            return config;
        }

        @Override
        public ThreadFactory threadFactory(String purpose) {
            String p = purpose == null || purpose.isBlank() ? "worker" : purpose;
            return r -> {
                Thread t = new Thread(r, "multifd-recv-" + p + "-" + threadCounter.incrementAndGet());
                t.setDaemon(true);
                return t;
            };
        }

        @Override
        public void fail(Throwable cause) {
            MultiFdReceiver.this.fail(cause);
        }
    }

    // ------------------------------------------------------------------ builder

    /**
     * Builds a {@link MultiFdReceiver}. Not thread-safe.
     */
    public static final class Builder {
        private final MultiFdConfig config;
        private final TransportListener transport;
        private PluginRegistry registry;
        private final List<PayloadPlugin<?>> payloads = new ArrayList<>();
        private final List<Codec> codecs = new ArrayList<>();
        private MigrationListener listener = MigrationListener.NONE;
        private boolean barrierDisabled;

        private Builder(MultiFdConfig config, TransportListener transport) {
            this.config = Objects.requireNonNull(config, "config");
            this.transport = Objects.requireNonNull(transport, "listener");
        }

        /**
         * @param registry the plug-ins to use instead of {@link PluginRegistry#discover()}
         * @return this builder
         */
        public Builder registry(PluginRegistry registry) {
            this.registry = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /**
         * @param plugin a payload plug-in instance (typically configured with its destination);
         *               replaces a discovered one of the same class
         * @return this builder
         */
        public Builder payload(PayloadPlugin<?> plugin) {
            payloads.add(Objects.requireNonNull(plugin, "plugin"));
            return this;
        }

        /**
         * @param codec a codec instance; replaces a discovered one of the same class
         * @return this builder
         */
        public Builder codec(Codec codec) {
            codecs.add(Objects.requireNonNull(codec, "codec"));
            return this;
        }

        /**
         * @param listener follows the migration; called from library threads
         * @return this builder
         */
        public Builder listener(MigrationListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /** Test only: switches the sync barrier off, so tests can show what it prevents. */
        Builder disableSyncBarrierForTesting() {
            this.barrierDisabled = true;
            return this;
        }

        /**
         * Makes the receiver, without any I/O (the watchdog thread starts).
         *
         * @return a new receiver
         */
        public MultiFdReceiver build() {
            return new MultiFdReceiver(this);
        }
    }

    // ------------------------------------------------------------------ one channel

    /**
     * One accepted channel. Its thread reads and applies packets; replies to the sender are
     * written under {@link #writeLock} by whichever thread sends them.
     */
    private final class RecvChannel implements IncomingPacket, DataTargets, CodecContext {
        final int id;
        final ChannelIo io;
        final Thread thread;
        final ReentrantLock writeLock = new ReentrantLock();

        // statistics, written by the channel thread
        volatile long packets;
        volatile long rawBytes;
        volatile long syncs;

        // channel thread only
        private final PacketHeader header = new PacketHeader();
        private final ByteBuffer headerBuf = ByteBuffer.allocateDirect(Wire.PACKET_HEADER_LENGTH);
        private final ByteBuffer payloadHeader;
        private final ByteBuffer payloadHeaderView;
        private final Crc crc = new Crc();
        private ByteBuffer[] targets = new ByteBuffer[16];
        private int[] starts = new int[16];
        private int targetCount;
        private long targetTotal;
        private PayloadChannelReceiver[] channelReceivers;
        private CodecDecoder decoder;
        private long expectedSequence;
        private long epoch;
        private long headerOffset;
        private long items;
        private long elided;

        RecvChannel(int id, ChannelIo io) {
            this.id = id;
            this.io = io;
            this.payloadHeader = ByteBuffer.allocateDirect(config.maxPayloadHeaderLength());
            this.payloadHeaderView = payloadHeader.asReadOnlyBuffer();
            this.thread = new Thread(this::run, "multifd-recv-" + id);
            this.thread.setDaemon(true);
        }

        void writeReply(Reply r, String what) throws IOException {
            writeLock.lock();
            try {
                io.writeFully(r.encode(), what);
            } finally {
                writeLock.unlock();
            }
        }

        void writeReplyQuietly(Reply r) {
            try {
                if (writeLock.tryLock(graceNanos, TimeUnit.NANOSECONDS)) {
                    try {
                        io.writeFully(r.encode(), Wire.replyKindName(r.kind()));
                    } finally {
                        writeLock.unlock();
                    }
                }
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "channel " + id + ": could not write " + Wire.replyKindName(r.kind()) + ": " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        // ---- CodecContext

        @Override
        public int channelId() {
            return id;
        }

        @Override
        public int channelCount() {
            return channelCount;
        }

        @Override
        public int maxDataLength() {
            return maxDataLength;
        }

        // ---- IncomingPacket

        @Override
        public long sequence() {
            return header.sequence;
        }

        @Override
        public long epoch() {
            return header.epoch;
        }

        @Override
        public long streamOffset() {
            return headerOffset;
        }

        @Override
        public ByteBuffer header() {
            return payloadHeaderView;
        }

        @Override
        public int rawLength() {
            return (int) header.rawLength;
        }

        @Override
        public MalformedPacketException malformed(String field, Object value, String reason) {
            return new MalformedPacketException(ProtocolCode.MALFORMED, id, headerOffset, field, value, reason);
        }

        @Override
        public void countItems(long itemCount, long elidedCount) {
            items += itemCount;
            elided += elidedCount;
        }

        // ---- DataTargets

        @Override
        public void add(ByteBuffer target) {
            Objects.requireNonNull(target, "target");
            if (target.isReadOnly()) {
                throw new IllegalArgumentException("a data target must be writable");
            }
            if (!target.hasRemaining()) {
                return;
            }
            if (targetCount == targets.length) {
                targets = Arrays.copyOf(targets, targetCount * 2);
                starts = Arrays.copyOf(starts, targetCount * 2);
            }
            starts[targetCount] = target.position();
            targets[targetCount++] = target;
            targetTotal += target.remaining();
        }

        // ---- thread body

        private void run() {
            try {
                decoder = codec.newDecoder(codecOptions, this);
                if (id == 0) {
                    applyManifest(this);
                } else {
                    lock.lock();
                    try {
                        while (!manifestApplied && firstError == null) {
                            changed.await();
                        }
                    } finally {
                        lock.unlock();
                    }
                    checkNotFailed();
                }
                PayloadReceiver[] rs = receivers;
                channelReceivers = new PayloadChannelReceiver[rs.length];
                for (int i = 0; i < rs.length; i++) {
                    if (rs[i] != null) {
                        channelReceivers[i] = rs[i].openChannel(id);
                    }
                }
                io.readTimeout(config.ioTimeout());
                loop();
            } catch (Throwable t) {
                if (!failed) {
                    fail(t instanceof Error e && !(t instanceof LinkageError) && !(t instanceof OutOfMemoryError)
                            ? new MultiFdException(ProtocolCode.FAILED, "channel " + id + ": " + e, e) : t);
                }
            } finally {
                if (failed) {
                    drain();
                }
                closeParts();
            }
        }

        private void closeParts() {
            if (channelReceivers != null) {
                for (PayloadChannelReceiver r : channelReceivers) {
                    if (r != null) {
                        try {
                            r.close();
                        } catch (RuntimeException e) {
                            LOG.log(System.Logger.Level.DEBUG, "channel receiver close failed", e);
                        }
                    }
                }
            }
            if (decoder != null) {
                try {
                    decoder.close();
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.DEBUG, "decoder close failed", e);
                }
            }
            io.close();
        }

        /**
         * After a failure: reads and discards until the sender closes (bounded by the forced
         * close), so that closing does not reset the connection and destroy the ERROR reply
         * the sender has not read yet.
         */
        private void drain() {
            if (io.isClosed()) {
                return;
            }
            io.forceCloseAfter(graceNanos);
            ByteBuffer scratch = ByteBuffer.allocate(8192);
            try {
                while (true) {
                    scratch.clear();
                    io.readFully(scratch, "the rest of the stream after a failure");
                }
            } catch (IOException | RuntimeException e) {
                // end of stream, or closed by the watchdog: done
            }
        }

        private void loop() throws IOException {
            while (true) {
                readHeader("packet header");
                if (header.typeId == 0) {
                    if (control()) {
                        return;
                    }
                    continue;
                }
                data();
            }
        }

        private void readHeader(String what) throws IOException {
            headerOffset = io.offset();
            headerBuf.clear();
            io.readFully(headerBuf, what);
            checkNotFailed();
            header.decode(headerBuf, id, headerOffset);
            if (header.sequence != expectedSequence) {
                throw bad(ProtocolCode.MALFORMED, "packet.sequence", header.sequence, "expected " + expectedSequence
                        + " (a packet was lost, duplicated or reordered)");
            }
            expectedSequence++;
            if (header.epoch != epoch) {
                throw bad(ProtocolCode.MALFORMED, "packet.epoch", header.epoch, "this channel is in epoch " + epoch);
            }
            if (header.headerLength > config.maxPayloadHeaderLength()) {
                throw bad(ProtocolCode.LENGTH, "packet.payload header length", header.headerLength,
                        "exceeds the cap " + config.maxPayloadHeaderLength() + " (maxPayloadHeaderLength)");
            }
            if (header.rawLength > maxDataLength) {
                throw bad(ProtocolCode.LENGTH, "packet.raw length", header.rawLength,
                        "exceeds the cap " + maxDataLength + " (max packet data length)");
            }
            if (header.encodedLength > maxDataLength) {
                throw bad(ProtocolCode.LENGTH, "packet.encoded length", header.encodedLength,
                        "exceeds the cap " + maxDataLength + " (max packet data length)");
            }
        }

        private MalformedPacketException bad(ProtocolCode code, String field, Object value, String reason) {
            return new MalformedPacketException(code, id, headerOffset, field, value, reason);
        }

        /** Reads the payload header into the channel's buffer and checks its CRC. */
        private void readPayloadHeader() throws IOException {
            int h = (int) header.headerLength;
            payloadHeader.clear().limit(h);
            if (h > 0) {
                io.readFully(payloadHeader, "payload header");
                int c = crc.of(payloadHeader, 0, h);
                if (c != header.payloadHeaderCrc) {
                    throw bad(ProtocolCode.BAD_CRC, "packet.payload header crc", String.format("0x%08x", header.payloadHeaderCrc),
                            String.format("computed 0x%08x", c));
                }
            } else if (header.payloadHeaderCrc != 0) {
                throw bad(ProtocolCode.MALFORMED, "packet.payload header crc", String.format("0x%08x", header.payloadHeaderCrc),
                        "must be 0 without a payload header");
            }
            payloadHeader.position(0);
            payloadHeaderView.clear().limit(h);
        }

        /** Handles a control packet; returns true when the channel is done. */
        private boolean control() throws IOException {
            int f = header.flags;
            if (header.rawLength != 0 || header.encodedLength != 0 || header.dataCrc != 0) {
                throw bad(ProtocolCode.MALFORMED, "packet.raw length", header.rawLength + "/" + header.encodedLength,
                        "a control packet carries no data");
            }
            switch (f) {
                case 0 -> {
                    requireHeaderLength(0, "KEEPALIVE");
                    readPayloadHeader();
                    return false;
                }
                case Wire.FLAG_SYNC -> {
                    requireHeaderLength(0, "SYNC");
                    readPayloadHeader();
                    barrier.arrive(epoch);
                    epoch++;
                    syncs++;
                    return false;
                }
                case Wire.FLAG_EOS -> {
                    requireHeaderLength(Wire.EOS_LENGTH, "EOS");
                    readPayloadHeader();
                    long sentPackets = payloadHeader.getLong(0);
                    long sentBytes = payloadHeader.getLong(8);
                    if (sentPackets != packets) {
                        throw bad(ProtocolCode.MALFORMED, "eos.packets", sentPackets, "this channel received " + packets
                                + " data packets");
                    }
                    if (sentBytes != rawBytes) {
                        throw bad(ProtocolCode.MALFORMED, "eos.bytes", sentBytes, "this channel received " + rawBytes
                                + " data bytes");
                    }
                    afterEos();
                    return true;
                }
                case Wire.FLAG_ABORT -> {
                    if (header.headerLength > Wire.MAX_ABORT_MESSAGE) {
                        throw bad(ProtocolCode.LENGTH, "packet.payload header length", header.headerLength,
                                "an ABORT reason is at most " + Wire.MAX_ABORT_MESSAGE + " bytes");
                    }
                    readPayloadHeader();
                    byte[] msg = new byte[(int) header.headerLength];
                    payloadHeader.get(0, msg);
                    throw new RemoteFailureException(ProtocolCode.ABORTED, "the sender aborted: "
                            + new String(msg, StandardCharsets.UTF_8));
                }
                case Wire.FLAG_COMMIT -> throw bad(ProtocolCode.MALFORMED, "packet.flags", "COMMIT",
                        "a COMMIT before end of stream");
                default -> throw bad(ProtocolCode.MALFORMED, "packet.flags", Wire.flagNames(f),
                        "not a valid control packet (KEEPALIVE, SYNC, EOS, COMMIT or ABORT)");
            }
        }

        private void requireHeaderLength(int expected, String what) throws MalformedPacketException {
            if (header.headerLength != expected) {
                throw bad(ProtocolCode.MALFORMED, "packet.payload header length", header.headerLength,
                        "a " + what + " packet has " + expected);
            }
        }

        private void afterEos() throws IOException {
            lock.lock();
            try {
                eosCount++;
                changed.signalAll();
                while (!completedWritten && firstError == null) {
                    changed.await();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted after end of stream");
            } finally {
                lock.unlock();
            }
            checkNotFailed();
            // Longer than the sender's wait for COMPLETED, which started earlier: when a COMPLETED is
            // lost, the sender's timeout fires first and its ABORT names the cause here.
            io.readTimeout(config.finishTimeout().plus(COMMIT_MARGIN));
            readHeader("COMMIT");
            if (header.typeId == 0 && header.flags == Wire.FLAG_ABORT) {
                control();
            }
            if (header.typeId != 0 || header.flags != Wire.FLAG_COMMIT || header.headerLength != 0) {
                throw bad(ProtocolCode.MALFORMED, "packet.flags", header.typeId == 0 ? Wire.flagNames(header.flags)
                        : "data packet of type " + header.typeId, "only COMMIT may follow end of stream");
            }
            lock.lock();
            try {
                commitCount++;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        private void data() throws IOException {
            int idx = indexOfType(header.typeId);
            PayloadChannelReceiver r = idx < 0 ? null : channelReceivers[idx];
            if (r == null) {
                throw bad(ProtocolCode.UNKNOWN_PAYLOAD, "packet.payload type", header.typeId,
                        idx < 0 ? "no payload plug-in has this id" : "payload '" + plugins[idx].name()
                                + "' was not declared in the manifest");
            }
            int f = header.flags;
            if ((f & ~Wire.DATA_FLAGS) != 0) {
                throw bad(ProtocolCode.MALFORMED, "packet.flags", Wire.flagNames(f), "a data packet may carry only RAW, RESET and DATA_CRC");
            }
            long raw = header.rawLength;
            long enc = header.encodedLength;
            boolean isRaw = (f & Wire.FLAG_RAW) != 0;
            boolean reset = (f & Wire.FLAG_RESET) != 0;
            boolean hasCrc = (f & Wire.FLAG_DATA_CRC) != 0;
            if (raw == 0) {
                if (enc != 0 || reset || hasCrc) {
                    throw bad(ProtocolCode.MALFORMED, "packet.encoded length", enc, "a packet without data has encoded length 0, no RESET, no DATA_CRC");
                }
            } else if (isRaw) {
                if (enc != raw) {
                    throw bad(ProtocolCode.MALFORMED, "packet.encoded length", enc, "a RAW packet has encoded length = raw length " + raw);
                }
                if (reset) {
                    throw bad(ProtocolCode.MALFORMED, "packet.flags", Wire.flagNames(f), "RESET is not allowed on a RAW packet");
                }
            } else {
                if (codec.id() == Codec.NONE_ID) {
                    throw bad(ProtocolCode.MALFORMED, "packet.flags", Wire.flagNames(f),
                            "encoded data, but this session's codec is 'none'");
                }
                if (enc <= 0 || enc >= raw) {
                    throw bad(ProtocolCode.MALFORMED, "packet.encoded length", enc,
                            "encoded data must be 1 to " + (raw - 1) + " bytes (smaller than the raw length " + raw + ")");
                }
            }
            if (!hasCrc && header.dataCrc != 0) {
                throw bad(ProtocolCode.MALFORMED, "packet.data crc", String.format("0x%08x", header.dataCrc), "must be 0 without DATA_CRC");
            }
            readPayloadHeader();
            targetCount = 0;
            targetTotal = 0;
            items = 0;
            elided = 0;
            r.begin(this, this);
            if (targetTotal != raw) {
                throw bad(ProtocolCode.MALFORMED, "packet.raw length", raw, "payload '" + plugins[idx].name()
                        + "' expects " + targetTotal + " data bytes for this payload header");
            }
            if (raw > 0) {
                if (isRaw) {
                    io.readFully(targets, 0, targetCount, raw, "packet data");
                    if (hasCrc) {
                        crc.reset();
                        for (int i = 0; i < targetCount; i++) {
                            crc.update(targets[i], starts[i], targets[i].position());
                        }
                        checkDataCrc(crc.value());
                    }
                } else {
                    ByteBuffer in = decoder.inputBuffer((int) enc);
                    if (in == null || in.position() != 0 || in.limit() != enc) {
                        throw new IllegalStateException("codec '" + codec.name()
                                + "': inputBuffer() must return a cleared buffer with limit " + enc);
                    }
                    io.readFully(in, "encoded packet data");
                    if (hasCrc) {
                        checkDataCrc(crc.of(in, 0, (int) enc));
                    }
                    in.position(0);
                    decoder.decode(in, targets, 0, targetCount, (int) raw, reset, this);
                    for (int i = 0; i < targetCount; i++) {
                        if (targets[i].hasRemaining()) {
                            throw malformed("data", enc + " encoded bytes", "codec '" + codec.name()
                                    + "' decoded fewer than the " + raw + " bytes announced");
                        }
                    }
                }
            }
            r.end(this);
            for (int i = 0; i < targetCount; i++) {
                targets[i] = null;
            }
            packets++;
            rawBytes += raw;
            counters[idx].add(raw, Wire.PACKET_HEADER_LENGTH + header.headerLength + enc, items, elided);
        }

        private void checkDataCrc(int computed) throws MalformedPacketException {
            if (computed != header.dataCrc) {
                throw bad(ProtocolCode.BAD_CRC, "packet.data crc", String.format("0x%08x", header.dataCrc),
                        String.format("computed 0x%08x over the data", computed));
            }
        }
    }
}
