package io.multifd.devicestate.internal;

import io.multifd.api.ChannelTimeoutException;
import io.multifd.api.MalformedPacketException;
import io.multifd.api.MigrationFailedException;
import io.multifd.api.MultiFdException;
import io.multifd.api.ProtocolCode;
import io.multifd.api.spi.IncomingPacket;
import io.multifd.devicestate.DeviceStateLoader;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * One device's reassembly queue and load thread in one receiving session.
 *
 * <h2>Bookkeeping</h2>
 * Every buffer index at or above {@code loaderNext} that a channel has begun (its header was
 * accepted) has an {@link Entry}. {@code contiguous} is the smallest index not yet begun: all
 * indexes below it have begun. A buffer whose index is below {@code contiguous} when it begins
 * (or becomes so later) is <em>in order</em>: the loader can reach it without any further channel
 * data. Other buffers are <em>out of order</em>.
 * <ul>
 *   <li>Out-of-order buffers never block a channel: they are queued, and their bytes (plus
 *       {@link #ENTRY_OVERHEAD} each) count against {@code maxOutOfOrderBytes}; more fails the
 *       migration.</li>
 *   <li>An in-order buffer waits in {@link #accept} while the in-order backlog is over
 *       {@code maxBacklogBytes}, unless it is the very buffer the loader needs next. This wait
 *       depends only on the loader consuming buffers that are already here or being read by a
 *       channel that does not wait (induction on the smallest waiting index), so it cannot
 *       deadlock the sync barrier or another device; it fails when the loader makes no progress
 *       for the I/O timeout.</li>
 * </ul>
 *
 * <h2>Threads and locking</h2>
 * {@link #accept} and {@link #received} run on channel threads, {@link #run()} on the device's
 * load thread, {@link #checkComplete} and {@link #awaitDone} on the receiver's coordinating thread,
 * {@link #abort} on any thread. One lock guards all fields; the loader runs outside it. An
 * entry's data array is written by the channel thread between {@code accept} and
 * {@code received}, and read by the load thread only after {@code received} (published by the
 * lock).
 */
final class Device implements Runnable {

    /** Bookkeeping bytes charged per queued out-of-order buffer, so that tiny buffers are bounded too. */
    static final int ENTRY_OVERHEAD = 128;

    private static final System.Logger LOG = System.getLogger(Device.class.getName());

    /** One begun buffer. Fields guarded by the device lock, except {@code data} (see class doc). */
    static final class Entry {
        final int index;
        final int length;
        final boolean last;
        byte[] data;
        boolean inOrder;
        boolean received;

        Entry(int index, int length, boolean last) {
            this.index = index;
            this.length = length;
            this.last = last;
        }

        ByteBuffer target() {
            return ByteBuffer.wrap(data);
        }
    }

    final DeviceKey key;
    final DeviceStateLoader loader;
    final boolean registered;
    private final long maxOutOfOrderBytes;
    private final long maxBacklogBytes;
    private final long stallNanos;
    private final Consumer<Throwable> failer;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition dataReady = lock.newCondition();
    private final Condition spaceFreed = lock.newCondition();
    private final Condition stateChanged = lock.newCondition();

    private final TreeMap<Integer, Entry> entries = new TreeMap<>();
    private int loaderNext;
    private int contiguous;
    private int maxIndexSeen = -1;
    private int lastIndex = -1;
    private long outOfOrderBytes;
    private long inOrderBytes;
    private long progress;
    private int waiting;
    private long receivedBuffers;
    private long receivedBytes;
    private long loadedBytes;
    private boolean completed;
    private Throwable failure;
    private Throwable abortCause;
    private boolean loaderAborted;
    private Thread thread;

    Device(DeviceKey key, DeviceStateLoader loader, boolean registered, long maxOutOfOrderBytes,
           long maxBacklogBytes, long stallNanos, Consumer<Throwable> failer) {
        this.key = key;
        this.loader = loader;
        this.registered = registered;
        this.maxOutOfOrderBytes = maxOutOfOrderBytes;
        this.maxBacklogBytes = maxBacklogBytes;
        this.stallNanos = stallNanos;
        this.failer = failer;
    }

    /** Starts the load thread. Called once, by the thread that created the device. */
    void start(Thread t) {
        lock.lock();
        try {
            thread = t;
        } finally {
            lock.unlock();
        }
        t.start();
    }

    /**
     * Accepts the header of buffer {@code index}: checks it against what this device already
     * received, accounts for its bytes (waiting for backlog space if it is in order) and returns
     * the entry whose array receives the data. Channel thread.
     *
     * @throws MalformedPacketException naming {@code device-state.index}, {@code device-state.flags}
     *                                  or {@code device-state.queued-bytes}
     * @throws ChannelTimeoutException  if the loader made no progress for the I/O timeout while
     *                                  this in-order buffer waited for backlog space
     * @throws IOException              if the migration was aborted meanwhile
     */
    Entry accept(IncomingPacket packet, int index, boolean last, int length) throws IOException {
        Entry e = new Entry(index, length, last);
        lock.lock();
        try {
            checkAborted();
            if (index < loaderNext || entries.containsKey(index)) {
                throw packet.malformed("device-state.index", index, "duplicate buffer of device " + key);
            }
            if (lastIndex >= 0 && index > lastIndex) {
                throw packet.malformed("device-state.index", index, "buffer after the last one (index "
                        + lastIndex + ") of device " + key);
            }
            if (last) {
                if (lastIndex >= 0) {
                    throw packet.malformed("device-state.flags", "LAST", "device " + key
                            + " already had its last buffer at index " + lastIndex + ", this one is index " + index);
                }
                if (maxIndexSeen > index) {
                    throw packet.malformed("device-state.index", index, "marked last, but buffer "
                            + maxIndexSeen + " of device " + key + " already arrived");
                }
                lastIndex = index;
            }
            if (index == contiguous) {
                e.inOrder = true;
                entries.put(index, e);
                maxIndexSeen = Math.max(maxIndexSeen, index);
                advanceContiguous();
                awaitBacklogSpace(packet, e);
                inOrderBytes += length;
            } else {
                long charge = (long) length + ENTRY_OVERHEAD;
                if (outOfOrderBytes + charge > maxOutOfOrderBytes) {
                    throw packet.malformed("device-state.queued-bytes", outOfOrderBytes + charge,
                            "device " + key + ": buffers waiting for an earlier buffer exceed the cap of "
                                    + maxOutOfOrderBytes + " bytes (buffer " + index + " arrived, buffer "
                                    + contiguous + " is still missing)");
                }
                outOfOrderBytes += charge;
                entries.put(index, e);
                maxIndexSeen = Math.max(maxIndexSeen, index);
            }
        } finally {
            lock.unlock();
        }
        // Sized from a length the core checked against the cap, and accounted for above.
        e.data = new byte[length];
        return e;
    }

    /** Under the lock: moves {@code contiguous} past every begun index, promoting queued buffers. */
    private void advanceContiguous() {
        while (true) {
            contiguous++;
            Entry n = entries.get(contiguous);
            if (n == null) {
                return;
            }
            if (!n.inOrder) {
                n.inOrder = true;
                outOfOrderBytes -= (long) n.length + ENTRY_OVERHEAD;
                inOrderBytes += n.length;
            }
        }
    }

    /** Under the lock: back-pressure for an in-order buffer. */
    private void awaitBacklogSpace(IncomingPacket packet, Entry e) throws IOException {
        if (e.index == loaderNext || inOrderBytes == 0 || inOrderBytes + e.length <= maxBacklogBytes) {
            return;
        }
        waiting++;
        try {
            awaitBacklogSpaceSlow(packet, e);
        } finally {
            waiting--;
        }
    }

    private void awaitBacklogSpaceSlow(IncomingPacket packet, Entry e) throws IOException {
        long seen = progress;
        long deadline = System.nanoTime() + stallNanos;
        while (!(e.index == loaderNext || inOrderBytes == 0 || inOrderBytes + e.length <= maxBacklogBytes)) {
            checkAborted();
            if (failure != null) {
                throw new MigrationFailedException("device-state: device " + key + " failed", failure);
            }
            long now = System.nanoTime();
            if (progress != seen) {
                seen = progress;
                deadline = now + stallNanos;
            }
            long remaining = deadline - now;
            if (remaining <= 0) {
                throw new ChannelTimeoutException("channel " + packet.channelId() + ": device-state: the loader of device "
                        + key + " made no progress for " + TimeUnit.NANOSECONDS.toMillis(stallNanos)
                        + " ms while buffer " + e.index + " waited (" + inOrderBytes
                        + " bytes wait for the loader, backlog cap " + maxBacklogBytes + ")");
            }
            try {
                spaceFreed.awaitNanos(remaining);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("device-state: interrupted while buffer " + e.index
                        + " of device " + key + " waited for its loader");
            }
        }
        checkAborted();
    }

    /** The entry's data was filled. Channel thread. */
    void received(Entry e) {
        lock.lock();
        try {
            e.received = true;
            receivedBuffers++;
            receivedBytes += e.length;
            if (e.index == loaderNext) {
                dataReady.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /** The load thread: feeds the loader in index order until the last buffer, then completes it. */
    @Override
    public void run() {
        int index = -1;
        try {
            while (true) {
                Entry e;
                lock.lock();
                try {
                    while (true) {
                        if (abortCause != null) {
                            return;
                        }
                        e = entries.get(loaderNext);
                        if (e != null && e.received) {
                            break;
                        }
                        dataReady.await();
                    }
                } finally {
                    lock.unlock();
                }
                index = e.index;
                if (e.length > 0) {
                    loader.load(ByteBuffer.wrap(e.data));
                }
                lock.lock();
                try {
                    entries.remove(e.index);
                    e.data = null;
                    inOrderBytes -= e.length;
                    loadedBytes += e.length;
                    loaderNext++;
                    progress++;
                    spaceFreed.signalAll();
                } finally {
                    lock.unlock();
                }
                if (e.last) {
                    break;
                }
            }
            index = -1;
            loader.complete();
            lock.lock();
            try {
                completed = true;
                stateChanged.signalAll();
            } finally {
                lock.unlock();
            }
        } catch (Throwable t) {
            boolean wasAborted;
            MultiFdException f = new MultiFdException(ProtocolCode.PLUGIN_FAILED, "device-state: the loader of device "
                    + key + (index >= 0 ? " failed at buffer " + index : " failed to complete") + ": " + t, t);
            lock.lock();
            try {
                wasAborted = abortCause != null;
                if (!wasAborted) {
                    failure = f;
                }
                stateChanged.signalAll();
                spaceFreed.signalAll();
            } finally {
                lock.unlock();
            }
            if (wasAborted) {
                LOG.log(System.Logger.Level.DEBUG, "device-state: loader of device {0} ended on abort: {1}", key, t);
            } else {
                failer.accept(f);
            }
        }
    }

    /**
     * At the end of the stream (every channel delivered EOS, so every begun buffer was received):
     * checks the device got all its buffers. Coordinating thread.
     *
     * @throws MalformedPacketException naming {@code device-state.last} or {@code device-state.index}
     */
    void checkComplete() throws MalformedPacketException {
        lock.lock();
        try {
            if (lastIndex < 0) {
                throw new MalformedPacketException(ProtocolCode.MALFORMED, MalformedPacketException.NO_CHANNEL, -1,
                        "device-state.last", key, "the last buffer of device " + key + " never arrived ("
                        + receivedBuffers + " buffers, " + receivedBytes + " bytes received)");
            }
            if (contiguous <= lastIndex) {
                throw new MalformedPacketException(ProtocolCode.MALFORMED, MalformedPacketException.NO_CHANNEL, -1,
                        "device-state.index", contiguous, "buffer " + contiguous + " of device " + key
                        + " never arrived (its last buffer is " + lastIndex + ")");
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until the loader completed and its thread ended. Coordinating thread.
     *
     * @param deadline {@link System#nanoTime()} deadline
     * @throws IOException the loader's failure, the abort cause, a timeout, or an interrupt
     */
    void awaitDone(long deadline, String timeoutText) throws IOException {
        Thread t;
        lock.lock();
        try {
            while (!completed) {
                if (abortCause != null) {
                    throw new MigrationFailedException("device-state: aborted while device " + key + " was loading",
                            abortCause);
                }
                if (failure != null) {
                    throw new MigrationFailedException("device-state: device " + key + " failed", failure);
                }
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    throw new ChannelTimeoutException("device-state: the loader of device " + key
                            + " did not finish within " + timeoutText + " (" + loadedBytes + " of "
                            + receivedBytes + " received bytes loaded)");
                }
                stateChanged.awaitNanos(remaining);
            }
            t = thread;
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("device-state: interrupted while waiting for the loader of device " + key);
        } finally {
            lock.unlock();
        }
        join(t, deadline);
    }

    private static void join(Thread t, long deadline) throws InterruptedIOException {
        if (t == null) {
            return;
        }
        try {
            // The thread only returns from run() after setting completed: this is a short wait.
            long ms = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
            t.join(ms);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("device-state: interrupted while joining " + t.getName());
        }
    }

    /**
     * The migration failed: wakes every waiter, interrupts the load thread and tells the loader,
     * unless it completed. Any thread; idempotent.
     */
    void abort(Throwable cause) {
        boolean tellLoader;
        Thread t;
        lock.lock();
        try {
            if (abortCause == null) {
                abortCause = cause;
            }
            tellLoader = !completed && !loaderAborted;
            loaderAborted = true;
            t = thread;
            dataReady.signalAll();
            spaceFreed.signalAll();
            stateChanged.signalAll();
            // Drop queued data: nothing will load it.
            for (Entry e : entries.values()) {
                if (e.received) {
                    e.data = null;
                }
            }
        } finally {
            lock.unlock();
        }
        // Never interrupt the calling thread: when the loader fails, its own load thread reports
        // through ReceiveContext.fail, and the core aborts on that thread and then writes its
        // ERROR replies; an interrupt flag would make NIO close those channels instead.
        if (t != null && t != Thread.currentThread() && t.isAlive()) {
            t.interrupt();
        }
        if (tellLoader) {
            abortLoader(key, loader, cause);
        }
    }

    static void abortLoader(DeviceKey key, DeviceStateLoader loader, Throwable cause) {
        try {
            loader.abort(cause);
        } catch (RuntimeException | Error ex) {
            LOG.log(System.Logger.Level.WARNING, "device-state: abort() of the loader of device " + key + " threw", ex);
        }
    }

    /** Waits up to {@code millis} for the load thread to end; returns whether it has. */
    boolean joinThread(long millis) {
        Thread t;
        lock.lock();
        try {
            t = thread;
        } finally {
            lock.unlock();
        }
        if (t == null) {
            return true;
        }
        try {
            t.join(Math.max(1, millis));
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
        return !t.isAlive();
    }

    String threadName() {
        lock.lock();
        try {
            return thread == null ? "(none)" : thread.getName();
        } finally {
            lock.unlock();
        }
    }

    private void checkAborted() throws IOException {
        if (abortCause != null) {
            throw new MigrationFailedException("device-state: migration aborted (device " + key + ")", abortCause);
        }
    }

    /** For tests: bytes queued out of order, in order (waiting for the loader), and channels waiting. */
    long[] queuedBytes() {
        lock.lock();
        try {
            return new long[] {outOfOrderBytes, inOrderBytes, waiting};
        } finally {
            lock.unlock();
        }
    }
}
