package io.multifd.core;

import io.multifd.api.ChannelStats;
import io.multifd.api.ChannelTimeoutException;
import io.multifd.api.DataChecksum;
import io.multifd.api.HandshakeRefusedException;
import io.multifd.api.CodecOptions;
import io.multifd.api.MalformedPacketException;
import io.multifd.api.MigrationFailedException;
import io.multifd.api.MigrationListener;
import io.multifd.api.MigrationStats;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.MultiFdException;
import io.multifd.api.PayloadStats;
import io.multifd.api.ProtocolCode;
import io.multifd.api.RemoteFailureException;
import io.multifd.api.SendData;
import io.multifd.api.SendSession;
import io.multifd.api.SessionId;
import io.multifd.api.spi.CodecContext;
import io.multifd.api.spi.CodecEncoder;
import io.multifd.api.spi.OutgoingPacket;
import io.multifd.api.spi.PayloadEncoder;
import io.multifd.api.spi.PayloadPlugin;
import io.multifd.api.spi.SendChannelContext;
import io.multifd.api.spi.Codec;
import io.multifd.api.spi.TransportConnector;
import io.multifd.core.channel.ChannelIo;
import io.multifd.core.wire.Crc;
import io.multifd.core.session.Durations;
import io.multifd.core.wire.Hello;
import io.multifd.core.wire.Manifest;
import io.multifd.core.wire.PacketHeader;
import io.multifd.core.session.PayloadCounters;
import io.multifd.core.channel.RateLimiter;
import io.multifd.core.wire.Reply;
import io.multifd.core.session.SafeListener;
import io.multifd.core.channel.Watchdog;
import io.multifd.core.wire.Wire;

import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

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
 * parallel (each on its own thread {@code multifd-send-<id>}), exchanges hellos, sends the
 * manifest on channel 0 and returns once all are accepted. Then clients {@link #send} and
 * {@link #sync}. {@link #finish()} syncs, ends every channel and returns only when the receiver
 * confirmed that it applied everything. {@link #close()} releases everything; before
 * {@code finish()} completed it aborts the migration and tells the receiver why.
 *
 * <h2>Threads and ownership</h2>
 * Thread-safe. Each client keeps its own slot and swaps it on {@link #send} for an idle
 * channel's empty slot (round-robin from the last one used), under one lock that publishes the
 * slot's contents to the channel thread and the cleared slot back. What {@code finish()} does
 * with a slot a client still holds: nothing. Clients flush their half-filled slots first (the RAM
 * saver's rounds end with a flush and a sync); a slot that was never passed to {@code send} is
 * not sent.
 *
 * <h2>Failure</h2>
 * The first error on any channel or thread, or the receiver's ERROR, fails the whole migration:
 * every blocked or later call throws a {@link MigrationFailedException} carrying that first
 * cause, the receiver is told (an ABORT packet where the channel still works), every channel is
 * closed within a short grace period, and every thread ends. The library never writes to the
 * memory it sends.
 */
public final class MultiFdSender implements SendSession, AutoCloseable {

    private static final System.Logger LOG = System.getLogger(MultiFdSender.class.getName());
    private static final long NO_TIMEOUT = TimeUnit.DAYS.toNanos(3650);

    private enum State { NEW, CONNECTING, CONNECTED, FINISHING, COMMITTING, FINISHED, FAILED, CLOSED }

    private final MultiFdConfig config;
    private final TransportConnector connector;
    private final PluginRegistry registry;
    private final SafeListener listener;
    private final SessionId sessionId;
    private final PayloadPlugin<?>[] plugins;
    private final PayloadCounters[] counters;
    private final byte[][] declared;
    private final long graceNanos;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition progress = lock.newCondition();
    /** Clients parked in send() waiting for an idle channel; see {@link #send}. */
    private final AtomicReferenceArray<Thread> waiters = new AtomicReferenceArray<>(64);
    private final AtomicInteger waiterCount = new AtomicInteger();
    private final ReentrantLock syncMutex = new ReentrantLock();

    // written under lock; volatile so that send() can check it without the lock
    private volatile State state = State.NEW;
    private Throwable firstError;
    private volatile SendChannel[] channels = new SendChannel[0];
    private int nextChannel; // racy round-robin start: a stale value only changes which idle channel is tried first
    private long syncsDone;
    // read without the lock on hot paths
    private volatile boolean failed;
    /** Made once: a capturing lambda per packet would allocate (16 bytes per packet, measured). */
    private final java.util.function.BooleanSupplier isFailed = () -> failed;

    private Codec codec;
    private CodecOptions codecOptions;
    private Watchdog watchdog;
    private RateLimiter limiter;
    private volatile long startNanos;
    private volatile long endNanos;

    private MultiFdSender(Builder b) {
        this.config = b.config;
        this.connector = b.connector;
        this.registry = b.composeRegistry();
        this.listener = new SafeListener(b.listenerOrNone());
        this.sessionId = config.sessionId().orElseGet(SessionId::random);
        this.plugins = registry.payloads().toArray(new PayloadPlugin<?>[0]);
        this.counters = new PayloadCounters[plugins.length];
        for (int i = 0; i < plugins.length; i++) {
            counters[i] = new PayloadCounters(plugins[i].id(), plugins[i].name());
        }
        this.declared = new byte[plugins.length][];
        this.graceNanos = Math.min(config.ioTimeout().toNanos(), TimeUnit.SECONDS.toNanos(2));
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
        Objects.requireNonNull(plugin, "plugin");
        Objects.requireNonNull(setupRecord, "setupRecord");
        int idx = indexOf(plugin);
        if (idx < 0) {
            throw new IllegalArgumentException("payload plug-in '" + plugin.name() + "' (" + plugin.getClass().getName()
                    + ") is not the instance registered with this sender; use sender.payload(Class)");
        }
        if (setupRecord.remaining() > config.maxManifestLength() - 64) {
            throw new IllegalArgumentException("setup record of '" + plugin.name() + "' is " + setupRecord.remaining()
                    + " bytes, over maxManifestLength " + config.maxManifestLength());
        }
        byte[] copy = new byte[setupRecord.remaining()];
        setupRecord.get(setupRecord.position(), copy);
        lock.lock();
        try {
            if (state != State.NEW) {
                throw new IllegalStateException("declare() must be called before connect(); the sender is " + describeState());
            }
            if (declared[idx] != null) {
                throw new IllegalStateException("payload '" + plugin.name() + "' was already declared");
            }
            declared[idx] = copy;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public SendData newSlot() {
        return new SendData();
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
        List<Manifest.Record> records = new ArrayList<>();
        lock.lock();
        try {
            if (state != State.NEW) {
                throw new IllegalStateException("connect() was already called; the sender is " + describeState());
            }
            for (int i = 0; i < plugins.length; i++) {
                if (declared[i] != null) {
                    records.add(new Manifest.Record(plugins[i].id(), declared[i]));
                }
            }
            state = State.CONNECTING;
            codec = h;
            codecOptions = config.codecOptions();
            long tick = Math.min(config.ioTimeout().toNanos(),
                    Math.min(config.handshakeTimeout().toNanos(), config.connectTimeout().toNanos())) / 8;
            watchdog = new Watchdog("multifd-send-watchdog", Math.min(tick, TimeUnit.MILLISECONDS.toNanos(250)));
            limiter = config.maxBandwidth() > 0 ? new RateLimiter(config.maxBandwidth()) : null;
            Manifest manifest = new Manifest(records);
            if (manifest.encode().remaining() > config.maxManifestLength() + Wire.MANIFEST_FIXED_LENGTH + Wire.CRC_LENGTH) {
                throw new IllegalStateException("the declared setup records exceed maxManifestLength " + config.maxManifestLength());
            }
            channels = new SendChannel[config.channels()];
            for (int i = 0; i < channels.length; i++) {
                channels[i] = new SendChannel(i, manifest);
            }
            startNanos = System.nanoTime();
            for (SendChannel c : channels) {
                c.thread.start();
            }
            long deadline = System.nanoTime() + config.connectTimeout().toNanos()
                    + 3 * config.handshakeTimeout().toNanos() + TimeUnit.SECONDS.toNanos(5);
            while (firstError == null && !allReady()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    failLocked(new ChannelTimeoutException("channels did not connect within "
                            + Durations.format(config.connectTimeout()) + " plus the handshake timeout"));
                    break;
                }
                progress.awaitNanos(left);
            }
            if (firstError == null) {
                state = State.CONNECTED;
                startNanos = System.nanoTime();
                progress.signalAll();
                for (SendChannel c : channels) {
                    c.work.signal();
                    c.wake();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failLocked(new InterruptedIOException("interrupted while connecting"));
        } finally {
            lock.unlock();
        }
        if (failed) {
            teardown();
            throw new MigrationFailedException("connect failed", firstErrorSnapshot());
        }
        listener.onConnected(sessionId, channels.length, codec.name());
    }

    private boolean allReady() {
        for (SendChannel c : channels) {
            if (!c.ready) {
                return false;
            }
        }
        return true;
    }

    // ------------------------------------------------------------------ send / sync

    /**
     * {@inheritDoc}
     *
     * <p>The hand-over allocates nothing: the client claims an idle channel with a compare-and-set
     * on its {@code busy} flag (acquire: it sees the slot the channel cleared before releasing the
     * flag), stores its slot, publishes it with a volatile write of {@code jobPending} (release:
     * the channel thread reads the flag, then the slot and the body) and unparks the channel
     * thread. A client that finds no idle channel registers itself as a waiter, scans once more,
     * and parks; a channel that turns idle unparks the waiters.
     */
    @Override
    public SendData send(SendData filled) throws IOException {
        Objects.requireNonNull(filled, "filled");
        PayloadPlugin<?> p = filled.plugin();
        if (p == null) {
            throw new IllegalArgumentException("cannot send an empty slot");
        }
        int idx = indexOf(p);
        if (idx < 0) {
            throw new IllegalArgumentException("slot is tagged with payload plug-in '" + p.name() + "' ("
                    + p.getClass().getName() + "), which is not the instance registered with this sender");
        }
        if (declared[idx] == null) {
            throw new IllegalArgumentException("payload '" + p.name() + "' was not declared: call declare() before connect()");
        }
        if (Thread.interrupted()) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted before sending; the slot was not sent");
        }
        checkUsableFast("send");
        SendChannel[] cs = channels;
        for (SendChannel c : cs) {
            if (c.slot == filled) {
                throw new IllegalArgumentException("this slot was already handed to channel " + c.id
                        + "; use the slot send() returned");
            }
        }
        // No barging: while other clients wait for a channel, a newcomer queues up with them
        // instead of taking the next idle channel ahead of them (a busy RAM saver would
        // otherwise starve device-state savers).
        SendData empty = waiterCount.get() == 0 ? tryHandOver(cs, filled) : null;
        if (empty != null) {
            return empty;
        }
        long deadline = System.nanoTime() + config.ioTimeout().toNanos();
        int me = -1;
        waiterCount.incrementAndGet();
        try {
            Thread self = Thread.currentThread();
            for (int i = 0; i < waiters.length(); i++) {
                if (waiters.compareAndSet(i, null, self)) {
                    me = i;
                    break;
                }
            }
            while (true) {
                checkUsableFast("send");
                empty = tryHandOver(cs, filled);
                if (empty != null) {
                    return empty;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    fail(new ChannelTimeoutException("no channel became idle within "
                            + Durations.format(config.ioTimeout()) + " (the receiver is not reading)"));
                    continue;
                }
                // more than 64 blocked clients: the overflow polls every millisecond instead
                LockSupport.parkNanos(this, me >= 0 ? left : Math.min(left, 1_000_000L));
                if (Thread.interrupted()) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while waiting for an idle channel; the slot was not sent");
                }
            }
        } finally {
            if (me >= 0) {
                waiters.set(me, null);
            }
            waiterCount.decrementAndGet();
        }
    }

    /** Claims an idle channel and hands it the slot; returns its empty slot, or null if none is idle. */
    private SendData tryHandOver(SendChannel[] cs, SendData filled) {
        int n = cs.length;
        int start = nextChannel;
        for (int i = 0; i < n; i++) {
            int j = start + i;
            if (j >= n) {
                j -= n;
            }
            SendChannel c = cs[j];
            if (c.busy == 0 && !c.exited && SendChannel.BUSY.compareAndSet(c, 0, 1)) {
                SendData empty = c.slot;
                c.slot = filled;
                c.jobPending = true;
                nextChannel = j + 1 == n ? 0 : j + 1;
                c.wake();
                return empty;
            }
        }
        return null;
    }

    /** Wakes every client parked in send(). */
    private void wakeWaiters() {
        if (waiterCount.get() == 0) {
            return;
        }
        for (int i = 0; i < waiters.length(); i++) {
            Thread t = waiters.get(i);
            if (t != null) {
                LockSupport.unpark(t);
            }
        }
    }

    /** The lock-free part of {@link #checkUsable}: failure and state, read from volatiles. */
    private void checkUsableFast(String op) throws MigrationFailedException {
        if (failed) {
            throw new MigrationFailedException(op + " failed", firstErrorSnapshot());
        }
        State st = state;
        if (st != State.CONNECTED) {
            if (st == State.FINISHING || st == State.COMMITTING) {
                throw new IllegalStateException(op + "() is not allowed: finish() was called");
            }
            throw new IllegalStateException(op + "() is not allowed: the sender is " + describeState());
        }
    }

    @Override
    public long sync() throws IOException {
        return sync(false);
    }

    private long sync(boolean finishing) throws IOException {
        try {
            syncMutex.lockInterruptibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting to sync");
        }
        long epoch;
        try {
            lock.lockInterruptibly();
            try {
                checkUsable("sync", finishing);
                epoch = syncsDone;
                for (SendChannel c : channels) {
                    c.syncRequested = c.syncRequested + 1; // only ever written under the lock
                    c.wake();
                }
                while (true) {
                    checkUsable("sync", true);
                    boolean all = true;
                    for (SendChannel c : channels) {
                        if (c.syncWritten < c.syncRequested) {
                            all = false;
                            break;
                        }
                    }
                    if (all) {
                        break;
                    }
                    progress.await();
                }
                syncsDone++;
            } finally {
                lock.unlock();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the sync markers to be written");
        } finally {
            syncMutex.unlock();
        }
        listener.onSync(epoch);
        return epoch;
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
        lock.lock();
        try {
            if (firstError == null) {
                checkUsable("finish", false);
                state = State.FINISHING;
            }
        } finally {
            lock.unlock();
        }
        if (failed) {
            teardown();
            throw new MigrationFailedException("finish failed", firstErrorSnapshot());
        }
        try {
            sync(true);
            lock.lockInterruptibly();
            try {
                for (SendChannel c : channels) {
                    c.eosRequested = true;
                    c.wake();
                }
                awaitAll(c -> c.eosWritten, NO_TIMEOUT, null);
                awaitAll(c -> c.completed != null, config.finishTimeout().toNanos(), c -> new ChannelTimeoutException(
                        "channel " + c.id + ": the receiver did not confirm completion (COMPLETED) within "
                                + Durations.format(config.finishTimeout()) + " after end of stream"));
                for (SendChannel c : channels) {
                    Reply r = c.completed;
                    if (r.valueA() != c.packets || r.valueB() != c.rawBytes) {
                        failLocked(new MalformedPacketException(ProtocolCode.MALFORMED, c.id, -1, "completed.counts",
                                r.valueA() + " packets / " + r.valueB() + " bytes",
                                "the sender sent " + c.packets + " packets / " + c.rawBytes + " bytes on this channel"));
                        checkUsable("finish", true);
                    }
                }
                // The commit point: the receiver confirmed that it applied everything we sent.
                // From here on, a failure to deliver COMMIT fails only the receiver (which then
                // reports that the sender did not confirm); it cannot undo what was applied.
                state = State.COMMITTING;
                for (SendChannel c : channels) {
                    c.commitRequested = true;
                    c.wake();
                }
                long deadline = System.nanoTime() + graceNanos + config.ioTimeout().toNanos();
                while (true) {
                    boolean all = true;
                    for (SendChannel c : channels) {
                        all &= c.commitWritten || c.exited;
                    }
                    long left = deadline - System.nanoTime();
                    if (all || left <= 0) {
                        break;
                    }
                    progress.awaitNanos(left);
                }
                state = State.FINISHED;
                endNanos = System.nanoTime();
            } finally {
                lock.unlock();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail(new InterruptedIOException("interrupted while finishing"));
        } catch (IOException | RuntimeException e) {
            fail(e);
        }
        teardown();
        if (failed) {
            throw new MigrationFailedException("finish failed", firstErrorSnapshot());
        }
        MigrationStats s = stats();
        listener.onCompleted(s);
        return s;
    }

    private interface ChannelTest {
        boolean test(SendChannel c);
    }

    private interface TimeoutError {
        IOException make(SendChannel c);
    }

    /** Waits, holding the lock, until every channel passes {@code test}; fails on timeout. */
    private void awaitAll(ChannelTest test, long timeoutNanos, TimeoutError onTimeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeoutNanos;
        while (true) {
            checkUsable("finish", true);
            SendChannel waiting = null;
            for (SendChannel c : channels) {
                if (!test.test(c)) {
                    waiting = c;
                    break;
                }
            }
            if (waiting == null) {
                return;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                failLocked(onTimeout.make(waiting));
                continue;
            }
            progress.awaitNanos(left);
        }
    }

    /**
     * Releases everything. After {@link #finish()} succeeded it only waits for the threads to
     * end; before, it aborts the migration (the receiver is told, then every channel closes) and
     * waits for every thread to end (a few seconds at most). Never throws; idempotent; any
     * thread.
     */
    @Override
    public void close() {
        boolean abort;
        lock.lock();
        try {
            abort = state == State.CONNECTING || state == State.CONNECTED || state == State.FINISHING;
            if (state == State.NEW) {
                state = State.CLOSED;
            }
        } finally {
            lock.unlock();
        }
        if (abort) {
            fail(new MultiFdException(ProtocolCode.ABORTED, "the sender was closed before finish() completed"));
        }
        teardown();
    }

    /** Closes channels (after their grace), joins every thread, stops the watchdog. */
    private void teardown() {
        SendChannel[] cs;
        lock.lock();
        try {
            cs = channels;
        } finally {
            lock.unlock();
        }
        long deadline = System.nanoTime() + graceNanos + TimeUnit.SECONDS.toNanos(5);
        for (SendChannel c : cs) {
            join(c.thread, deadline);
        }
        for (SendChannel c : cs) {
            if (c.io != null) {
                c.io.close();
            }
            join(c.replyThread, deadline);
        }
        for (SendChannel c : cs) {
            if (c.thread.isAlive() || (c.replyThread != null && c.replyThread.isAlive())) {
                LOG.log(System.Logger.Level.WARNING, "channel " + c.id + " threads did not end in time");
            }
        }
        if (watchdog != null) {
            watchdog.close();
        }
        if (limiter != null) {
            limiter.wakeAll();
        }
    }

    private static void join(Thread t, long deadline) {
        if (t == null || t == Thread.currentThread() || t.getState() == Thread.State.NEW) {
            return;
        }
        try {
            long left = deadline - System.nanoTime();
            if (left > 0) {
                TimeUnit.NANOSECONDS.timedJoin(t, left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------ state and failure

    private void checkUsable(String op, boolean finishing) throws MigrationFailedException {
        if (firstError != null) {
            throw new MigrationFailedException(op + " failed", firstError);
        }
        switch (state) {
            case CONNECTED -> {
            }
            case FINISHING -> {
                if (!finishing) {
                    throw new IllegalStateException(op + "() is not allowed: finish() was called");
                }
            }
            default -> throw new IllegalStateException(op + "() is not allowed: the sender is " + describeState());
        }
    }

    private String describeState() {
        return switch (state) {
            case NEW -> "not connected yet (call connect())";
            case CONNECTING -> "connecting";
            case CONNECTED -> "connected";
            case FINISHING, COMMITTING -> "finishing";
            case FINISHED -> "finished";
            case FAILED -> "failed";
            case CLOSED -> "closed";
        };
    }

    private Throwable firstErrorSnapshot() {
        lock.lock();
        try {
            return firstError;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Fails the migration with {@code cause} unless it already failed. Any thread.
     *
     * @param cause the error
     */
    void fail(Throwable cause) {
        lock.lock();
        try {
            failLocked(cause);
        } finally {
            lock.unlock();
        }
    }

    private void failLocked(Throwable cause) {
        if (state == State.COMMITTING || state == State.FINISHED) {
            LOG.log(System.Logger.Level.DEBUG, "error after the commit point, ignored: " + cause);
            return;
        }
        if (firstError != null) {
            if (cause != firstError) {
                LOG.log(System.Logger.Level.DEBUG, "later error after the migration failed: " + cause);
            }
            return;
        }
        firstError = cause;
        failed = true;
        if (state != State.NEW) {
            state = State.FAILED;
        }
        endNanos = System.nanoTime();
        LOG.log(System.Logger.Level.WARNING, "migration " + sessionId + " failed: " + cause.getMessage());
        progress.signalAll();
        wakeWaiters();
        for (SendChannel c : channels) {
            c.work.signal();
            c.wake();
            if (c.io != null) {
                c.io.forceCloseAfter(graceNanos);
            }
            if (c.connecting) {
                c.thread.interrupt();
            }
        }
        if (limiter != null) {
            limiter.wakeAll();
        }
        listener.onFailed(cause);
    }

    /**
     * Fails with a local transport error, but first waits a moment for the receiver's ERROR on
     * any channel: a reset or closed connection is usually the echo of the receiver's failure,
     * and its ERROR reply names the real cause.
     */
    private void failAfterGrace(Throwable local) {
        lock.lock();
        try {
            long left = graceNanos;
            while (firstError == null && left > 0 && state != State.COMMITTING && state != State.FINISHED) {
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

    private int indexOf(PayloadPlugin<?> p) {
        for (int i = 0; i < plugins.length; i++) {
            if (plugins[i] == p) {
                return i;
            }
        }
        return -1;
    }

    // ------------------------------------------------------------------ stats

    @Override
    public MigrationStats stats() {
        SendChannel[] cs;
        long syncs;
        lock.lock();
        try {
            cs = channels;
            syncs = syncsDone;
        } finally {
            lock.unlock();
        }
        List<ChannelStats> per = new ArrayList<>(cs.length);
        long packets = 0;
        long raw = 0;
        long wire = 0;
        for (SendChannel c : cs) {
            ChannelStats s = new ChannelStats(c.id, c.packets, c.rawBytes, c.wireBytes, c.syncs);
            per.add(s);
            packets += s.packets();
            raw += s.rawBytes();
            wire += s.wireBytes();
        }
        List<PayloadStats> payloadStats = new ArrayList<>();
        for (int i = 0; i < counters.length; i++) {
            if (declared[i] != null || !counters[i].isEmpty()) {
                payloadStats.add(counters[i].snapshot());
            }
        }
        long start = startNanos;
        long end = endNanos != 0 ? endNanos : System.nanoTime();
        Duration elapsed = start == 0 ? Duration.ZERO : Duration.ofNanos(Math.max(0, end - start));
        return new MigrationStats(sessionId, cs.length == 0 ? config.channels() : cs.length,
                codec != null ? codec.name() : config.codec(), elapsed, packets, raw, wire, syncs, per, payloadStats);
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

    // ------------------------------------------------------------------ one channel

    /**
     * One channel: its thread connects, handshakes, then writes packets for the slots handed to
     * it, SYNC markers, keepalives, EOS and COMMIT; its reply thread reads the receiver's
     * replies. Fields marked "lock" are guarded by the sender's lock; the rest are confined to
     * the channel thread unless volatile.
     */
    private final class SendChannel implements OutgoingPacket, SendChannelContext, CodecContext, CodecEncoder.EncodeSink {
        final int id;
        final Thread thread;
        volatile Thread replyThread;
        final Condition work = lock.newCondition();
        final Manifest manifest;
        volatile ChannelIo io;

        // The hand-over (see send): busy is claimed by a client with a CAS and released by the
        // channel thread; slot is owned by whoever holds busy; jobPending publishes the slot.
        static final VarHandle BUSY;

        static {
            try {
                BUSY = MethodHandles.lookup().findVarHandle(SendChannel.class, "busy", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        volatile int busy;
        SendData slot = new SendData();
        volatile boolean jobPending;
        volatile boolean exited;

        // Control requests: written under the lock, read by the channel thread without it.
        volatile long syncRequested;
        volatile boolean eosRequested;
        volatile boolean commitRequested;
        // Progress, published under the lock for the threads waiting on it.
        long syncWritten;
        boolean eosWritten;
        boolean commitWritten;
        boolean ready;
        volatile boolean connecting;
        Reply completed;
        boolean replyEnded;

        // statistics: written by the channel thread only
        volatile long packets;
        volatile long rawBytes;
        volatile long wireBytes;
        volatile long syncs;

        // channel thread only
        private final PacketHeader header = new PacketHeader();
        private final ByteBuffer headerBuf = ByteBuffer.allocateDirect(Wire.PACKET_HEADER_LENGTH);
        private final ByteBuffer payloadHeader;
        private ByteBuffer[] gather = new ByteBuffer[16];
        private int dataCount;
        private int dataLength;
        private long items;
        private long elided;
        private final PayloadEncoder<?>[] encoders = new PayloadEncoder<?>[plugins.length];
        private CodecEncoder codecEncoder;
        private ByteBuffer encoded;
        private boolean encodedReset;
        private ByteBuffer staging;
        private final Crc crc = new Crc();
        private long sequence;
        private long epoch;

        SendChannel(int id, Manifest manifest) {
            this.id = id;
            this.manifest = manifest;
            this.payloadHeader = ByteBuffer.allocateDirect(config.maxPayloadHeaderLength());
            this.thread = new Thread(this::run, "multifd-send-" + id);
            this.thread.setDaemon(true);
        }

        /** Unparks the channel thread so that it looks at its flags again. Any thread. */
        void wake() {
            LockSupport.unpark(thread);
        }

        // ---- contexts for plug-ins

        @Override
        public int channelId() {
            return id;
        }

        @Override
        public int channelCount() {
            return channels.length;
        }

        @Override
        public MultiFdConfig config() {
            return config;
        }

        @Override
        public int maxDataLength() {
            return config.maxPacketDataLength();
        }

        @Override
        public ByteBuffer header() {
            return payloadHeader;
        }

        @Override
        public void addData(ByteBuffer data) {
            int r = data.remaining();
            if ((long) dataLength + r > config.maxPacketDataLength()) {
                throw new IllegalArgumentException("packet data would be " + ((long) dataLength + r)
                        + " bytes, over maxPacketDataLength " + config.maxPacketDataLength());
            }
            if (r == 0) {
                return;
            }
            if (dataCount + 3 > gather.length) {
                gather = Arrays.copyOf(gather, gather.length * 2);
            }
            gather[2 + dataCount++] = data;
            dataLength += r;
        }

        @Override
        public int dataLength() {
            return dataLength;
        }

        @Override
        public void countItems(long itemCount, long elidedCount) {
            items += itemCount;
            elided += elidedCount;
        }

        @Override
        public void encoded(ByteBuffer bytes, boolean streamReset) {
            encoded = bytes;
            encodedReset = streamReset;
        }

        // ---- thread body

        private void run() {
            try {
                connecting = true;
                connectAndHandshake();
                connecting = false;
                if (!awaitGo()) {
                    writeAbortIfUseful(); // the handshake succeeded: tell the receiver why we stop
                    return;
                }
                codecEncoder = codec.newEncoder(codecOptions, this);
                Thread rt = new Thread(this::readReplies, "multifd-send-" + id + "-reply");
                rt.setDaemon(true);
                replyThread = rt;
                rt.start();
                loop();
            } catch (Throwable t) {
                onError(t);
            } finally {
                connecting = false;
                finishChannel();
            }
        }

        private void connectAndHandshake() throws IOException {
            if (Thread.interrupted() || failed) {
                throw new InterruptedIOException("aborted before connecting");
            }
            ChannelIo c = new ChannelIo(connector.connect(id, config.connectTimeout()), watchdog, id, "sender",
                    config.handshakeTimeout());
            io = c;
            if (failed) {
                c.forceCloseAfter(graceNanos);
            }
            Hello hello = new Hello(Wire.MIN_VERSION, Wire.MAX_VERSION, sessionId, id, channels.length, codec.id(),
                    codecOptions.toString(), 0, config.maxPacketDataLength());
            ByteBuffer hb = hello.encode();
            c.writeFully(hb, "hello");
            Reply r = Reply.read(c);
            switch (r.kind()) {
                case Wire.REPLY_HELLO_ACCEPT -> {
                    if (r.version() < Wire.MIN_VERSION || r.version() > Wire.MAX_VERSION) {
                        throw new MalformedPacketException(ProtocolCode.UNSUPPORTED_VERSION, id, 0, "reply.version",
                                r.version(), "the receiver chose a version this sender does not speak");
                    }
                }
                case Wire.REPLY_HELLO_REFUSE -> throw new HandshakeRefusedException(r.code(), id,
                        "the receiver refused channel " + id + ": " + r.message());
                case Wire.REPLY_ERROR -> throw new RemoteFailureException(r.code(), "the receiver failed: " + r.message());
                default -> throw new MalformedPacketException(ProtocolCode.MALFORMED, id, 0, "reply.kind",
                        Wire.replyKindName(r.kind()), "expected HELLO_ACCEPT or HELLO_REFUSE");
            }
            if (id == 0) {
                c.writeFully(manifest.encode(), "manifest");
                Reply m = Reply.read(c);
                switch (m.kind()) {
                    case Wire.REPLY_MANIFEST_ACCEPT -> {
                    }
                    case Wire.REPLY_MANIFEST_REFUSE -> throw new HandshakeRefusedException(m.code(), id,
                            "the receiver refused the manifest: " + m.message());
                    case Wire.REPLY_ERROR -> throw new RemoteFailureException(m.code(), "the receiver failed: " + m.message());
                    default -> throw new MalformedPacketException(ProtocolCode.MALFORMED, id, 0, "reply.kind",
                            Wire.replyKindName(m.kind()), "expected MANIFEST_ACCEPT or MANIFEST_REFUSE");
                }
            }
            c.readTimeout(Duration.ofNanos(NO_TIMEOUT));
            wireBytes = c.outOffset();
            lock.lock();
            try {
                ready = true;
                progress.signalAll();
            } finally {
                lock.unlock();
            }
        }

        /** Waits until every channel is ready (connect() returns); false if the migration failed. */
        private boolean awaitGo() throws InterruptedException {
            lock.lock();
            try {
                while (state == State.CONNECTING && firstError == null) {
                    work.await();
                }
                return firstError == null;
            } finally {
                lock.unlock();
            }
        }

        /**
         * Waits for work and does it: a job (one packet), then control requests. Parks between
         * (no lock, no allocation); clients and control calls unpark it. Control flags are read
         * before the job flag: a client that handed over a job and then asked for a sync wrote
         * the job flag first, so whoever sees the sync request also sees the job, which goes
         * out first.
         */
        private void loop() throws IOException {
            long keepaliveNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(10), config.ioTimeout().toNanos() / 3);
            boolean eosDone = false;
            long lastWrite = System.nanoTime();
            while (true) {
                long sreq = syncRequested;
                boolean eosReq = eosRequested;
                boolean commitReq = commitRequested;
                boolean job = jobPending;
                if (failed) {
                    writeAbortIfUseful();
                    return;
                }
                if (job) {
                    writeJob();
                    jobPending = false;
                    busy = 0; // release: the next client that claims this channel sees the cleared slot
                    wakeWaiters();
                } else if (sreq > syncs) { // syncs: written by this thread only
                    writeControl(Wire.FLAG_SYNC, null);
                    epoch++;
                    syncs++;
                    lock.lock();
                    try {
                        syncWritten = syncs;
                        progress.signalAll();
                    } finally {
                        lock.unlock();
                    }
                } else if (eosReq && !eosDone) {
                    payloadHeader.clear();
                    payloadHeader.putLong(packets).putLong(rawBytes).flip();
                    writeControl(Wire.FLAG_EOS, payloadHeader);
                    eosDone = true;
                    lock.lock();
                    try {
                        eosWritten = true;
                        progress.signalAll();
                    } finally {
                        lock.unlock();
                    }
                } else if (commitReq && eosDone) {
                    writeControl(Wire.FLAG_COMMIT, null);
                    io.shutdownOutput();
                    lock.lock();
                    try {
                        commitWritten = true;
                        progress.signalAll();
                    } finally {
                        lock.unlock();
                    }
                    return;
                } else {
                    long now = System.nanoTime();
                    if (!eosDone && now - lastWrite >= keepaliveNanos) {
                        writeControl(0, null);
                    } else {
                        LockSupport.parkNanos(this, eosDone ? NO_TIMEOUT : keepaliveNanos - (now - lastWrite));
                        if (Thread.interrupted()) {
                            throw new InterruptedIOException("channel " + id + " interrupted");
                        }
                        continue;
                    }
                }
                lastWrite = System.nanoTime();
            }
        }

        private void writeJob() throws IOException {
            SendData s = slot;
            PayloadPlugin<?> p = s.plugin();
            int idx = indexOf(p);
            payloadHeader.clear();
            dataCount = 0;
            dataLength = 0;
            items = 0;
            elided = 0;
            encoded = null;
            try {
                prepare(idx, p, s.body());
            } catch (BufferOverflowException e) {
                throw new IOException("payload '" + p.name() + "' wrote a payload header longer than maxPayloadHeaderLength "
                        + config.maxPayloadHeaderLength(), e);
            }
            payloadHeader.flip();
            int raw = dataLength;
            int flags = 0;
            int gatherCount = 2 + dataCount;
            long wireData = raw;
            header.dataCrc = 0;
            if (raw > 0) {
                boolean enc = codecEncoder.encode(gather, 2, dataCount, raw, this);
                if (enc) {
                    ByteBuffer e = encoded;
                    if (e == null || e.remaining() <= 0 || e.remaining() >= raw) {
                        throw new IOException("codec '" + codec.name() + "' returned "
                                + (e == null ? "nothing" : e.remaining() + " bytes") + " for " + raw
                                + " raw bytes (must be 1 to raw length - 1)");
                    }
                    if (encodedReset) {
                        flags |= Wire.FLAG_RESET;
                    }
                    if (config.dataChecksum() != DataChecksum.OFF) {
                        header.dataCrc = crc.of(e, e.position(), e.limit());
                        flags |= Wire.FLAG_DATA_CRC;
                    }
                    gather[2] = e;
                    gatherCount = 3;
                    wireData = e.remaining();
                } else {
                    flags |= Wire.FLAG_RAW;
                    if (config.dataChecksum() == DataChecksum.ALL) {
                        if (staging == null) {
                            staging = ByteBuffer.allocateDirect(config.maxPacketDataLength());
                        }
                        staging.clear();
                        for (int i = 0; i < dataCount; i++) {
                            ByteBuffer d = gather[2 + i];
                            staging.put(staging.position(), d, d.position(), d.remaining());
                            staging.position(staging.position() + d.remaining());
                        }
                        staging.flip();
                        header.dataCrc = crc.of(staging, 0, staging.limit());
                        flags |= Wire.FLAG_DATA_CRC;
                        gather[2] = staging;
                        gatherCount = 3;
                    }
                }
            }
            header.typeId = p.id();
            header.flags = flags;
            header.sequence = sequence++;
            header.epoch = epoch;
            header.headerLength = payloadHeader.remaining();
            header.rawLength = raw;
            header.encodedLength = wireData;
            header.payloadHeaderCrc = payloadHeader.hasRemaining() ? crc.of(payloadHeader, 0, payloadHeader.limit()) : 0;
            header.encode(headerBuf);
            gather[0] = headerBuf;
            gather[1] = payloadHeader;
            long total = Wire.PACKET_HEADER_LENGTH + (long) payloadHeader.remaining() + wireData;
            io.writeFully(gather, 0, gatherCount, total, limiter, isFailed, "packet");
            for (int i = 2; i < gatherCount; i++) {
                gather[i] = null;
            }
            packets++;
            rawBytes += raw;
            wireBytes = io.outOffset();
            counters[idx].add(raw, total, items, elided);
            s.clear();
        }

        @SuppressWarnings("unchecked")
        private <B> void prepare(int idx, PayloadPlugin<B> p, Object body) throws IOException {
            PayloadEncoder<B> enc = (PayloadEncoder<B>) encoders[idx];
            if (enc == null) {
                enc = Objects.requireNonNull(p.newEncoder(this), () -> p.name() + ": newEncoder returned null");
                encoders[idx] = enc;
            }
            enc.prepare((B) body, this);
        }

        /** Writes a control packet (type 0): keepalive, SYNC, EOS, COMMIT or ABORT. */
        private void writeControl(int flags, ByteBuffer body) throws IOException {
            header.typeId = 0;
            header.flags = flags;
            header.sequence = sequence++;
            header.epoch = epoch;
            header.headerLength = body == null ? 0 : body.remaining();
            header.rawLength = 0;
            header.encodedLength = 0;
            header.dataCrc = 0;
            header.payloadHeaderCrc = body == null || !body.hasRemaining() ? 0 : crc.of(body, body.position(), body.limit());
            header.encode(headerBuf);
            gather[0] = headerBuf;
            int count = 1;
            long total = Wire.PACKET_HEADER_LENGTH;
            if (body != null && body.hasRemaining()) {
                gather[1] = body;
                count = 2;
                total += body.remaining();
            }
            io.writeFully(gather, 0, count, total, null, () -> false, "control packet");
            wireBytes = io.outOffset();
        }

        /** After a failure: tells the receiver why, unless it is the receiver that failed. */
        private void writeAbortIfUseful() {
            Throwable cause = firstErrorSnapshot();
            if (cause instanceof RemoteFailureException || io == null || io.isClosed()) {
                return;
            }
            try {
                io.forceCloseAfter(graceNanos);
                byte[] msg = Reply.truncate(String.valueOf(cause.getMessage()), Wire.MAX_ABORT_MESSAGE);
                writeControl(Wire.FLAG_ABORT, ByteBuffer.wrap(msg));
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "channel " + id + ": could not write ABORT: " + e);
            }
        }

        private void onError(Throwable t) {
            if (failed) {
                return;
            }
            if (t instanceof IOException && (!(t instanceof MultiFdException)
                    || ((MultiFdException) t).code() == ProtocolCode.TRANSPORT)) {
                failAfterGrace(t); // often the echo of the receiver's failure: let its ERROR arrive
                return;
            }
            if (t instanceof Error e && !(t instanceof LinkageError) && !(t instanceof OutOfMemoryError)) {
                fail(new MultiFdException(ProtocolCode.FAILED, "channel " + id + ": " + e, e));
            } else {
                fail(t);
            }
        }

        private void finishChannel() {
            for (int i = 0; i < encoders.length; i++) {
                if (encoders[i] != null) {
                    try {
                        encoders[i].close();
                    } catch (RuntimeException e) {
                        LOG.log(System.Logger.Level.DEBUG, "payload encoder close failed", e);
                    }
                    encoders[i] = null;
                }
            }
            if (codecEncoder != null) {
                try {
                    codecEncoder.close();
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.DEBUG, "codec encoder close failed", e);
                }
            }
            ChannelIo c = io;
            if (c != null) {
                if (failed) {
                    c.shutdownOutput();
                }
                // Let the reply thread drain what the receiver still sends (a closed socket with
                // unread bytes resets the connection, which can destroy the receiver's last
                // message), bounded by the grace period; then close.
                Thread rt = replyThread;
                if (rt != null && rt != Thread.currentThread()) {
                    c.forceCloseAfter(graceNanos);
                    join(rt, System.nanoTime() + graceNanos + TimeUnit.MILLISECONDS.toNanos(200));
                }
                c.close();
            }
            exited = true;
            wakeWaiters();
            lock.lock();
            try {
                progress.signalAll();
            } finally {
                lock.unlock();
            }
        }

        /** The reply thread: reads COMPLETED or ERROR until the receiver closes. */
        private void readReplies() {
            ChannelIo c = io;
            try {
                while (true) {
                    Reply r = Reply.read(c);
                    switch (r.kind()) {
                        case Wire.REPLY_COMPLETED -> {
                            lock.lock();
                            try {
                                if (!eosRequested) {
                                    throw new MalformedPacketException(ProtocolCode.MALFORMED, id, -1, "reply.kind",
                                            "COMPLETED", "the receiver reported completion before end of stream");
                                }
                                completed = r;
                                progress.signalAll();
                            } finally {
                                lock.unlock();
                            }
                        }
                        case Wire.REPLY_ERROR -> {
                            fail(new RemoteFailureException(r.code(), "the receiver failed: " + r.message()));
                            return;
                        }
                        default -> throw new MalformedPacketException(ProtocolCode.MALFORMED, id, -1, "reply.kind",
                                Wire.replyKindName(r.kind()), "unexpected during the transfer");
                    }
                }
            } catch (EOFException e) {
                boolean expected;
                lock.lock();
                try {
                    // After COMPLETED the receiver closes once it has read our COMMIT.
                    expected = completed != null || firstError != null;
                } finally {
                    lock.unlock();
                }
                if (!expected) {
                    failAfterGrace(new MultiFdException(ProtocolCode.TRANSPORT, "channel " + id
                            + ": the receiver closed the connection without a reply", e));
                }
            } catch (IOException | RuntimeException e) {
                boolean expected;
                lock.lock();
                try {
                    expected = completed != null || firstError != null || c.isClosed();
                } finally {
                    lock.unlock();
                }
                if (!expected) {
                    failAfterGrace(e);
                }
            } finally {
                lock.lock();
                try {
                    replyEnded = true;
                    progress.signalAll();
                } finally {
                    lock.unlock();
                }
            }
        }
    }

}
