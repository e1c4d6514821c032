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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * One device in one receiving session: joins its {@link ReorderWindow} (which buffers may enter,
 * in what order they leave), its {@link Backpressure} (channels waiting for backlog room) and its
 * {@link LoadLoop} (the load thread), and carries the device's end: completion, failure, abort.
 *
 * <h2>Threads and locking</h2>
 * {@link #accept} and {@link #received} run on channel threads, the load loop on the device's
 * load thread, {@link #checkComplete} and {@link #awaitDone} on the receiver's coordinating
 * thread, {@link #abort} on any thread. One lock guards the window, the back-pressure and the
 * fields here; the loader runs outside it. An entry's data array is written by the channel
 * thread between {@code accept} and {@code received}, and read by the load thread only after
 * {@code received} (published by the lock).
 */
final class Device {

    private static final System.Logger LOG = System.getLogger(Device.class.getName());

    final DeviceKey key;
    final DeviceStateLoader loader;
    final boolean registered;
    private final Consumer<Throwable> failer;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition dataReady = lock.newCondition();
    private final Condition stateChanged = lock.newCondition();
    private final ReorderWindow window;
    private final Backpressure backpressure;

    private boolean completed;
    private Throwable failure;
    private Throwable abortCause;
    private boolean loaderAborted;
    private Thread thread;

    Device(DeviceKey key, DeviceStateLoader loader, boolean registered, int maxBuffers, long maxOutOfOrderBytes,
           long maxBacklogBytes, long stallNanos, Consumer<Throwable> failer) {
        this.key = key;
        this.loader = loader;
        this.registered = registered;
        this.failer = failer;
        this.window = new ReorderWindow(key.toString(), maxBuffers, maxOutOfOrderBytes, maxBacklogBytes);
        this.backpressure = new Backpressure(key.toString(), lock.newCondition(), stallNanos);
    }

    /** The body of this device's load thread, for the thread factory. */
    Runnable loadLoop() {
        return new LoadLoop(loader, new Feed());
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
     * Accepts the header of buffer {@code index}: enters it into the window (waiting for backlog
     * room if it is in order) and returns the entry whose array receives the data. Channel thread.
     *
     * @throws MalformedPacketException naming {@code device-state.index}, {@code device-state.flags}
     *                                  or {@code device-state.queued-bytes}
     * @throws ChannelTimeoutException  if the loader made no progress for the I/O timeout while
     *                                  this in-order buffer waited for backlog space
     * @throws IOException              if the migration was aborted meanwhile
     */
    ReorderWindow.Entry accept(IncomingPacket packet, long index, boolean last, int length) throws IOException {
        ReorderWindow.Entry e;
        lock.lock();
        try {
            checkAborted();
            try {
                e = window.begin(index, last, length);
            } catch (ReorderWindow.Refusal r) {
                throw packet.malformed(r.field(), r.value(), r.getMessage());
            }
            if (e.pending) {
                if (!window.backlogAllows(e)) {
                    backpressure.await(window, e, packet.channelId(), this::checkUsable);
                    checkAborted();
                }
                window.admit(e);
            }
        } finally {
            lock.unlock();
        }
        // Sized from a length the core checked against the cap, and accounted for above.
        e.data = new byte[length];
        return e;
    }

    /** The entry's data was filled. Channel thread. */
    void received(ReorderWindow.Entry e) {
        lock.lock();
        try {
            if (window.received(e)) {
                dataReady.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /** What the load loop sees of the device; every method takes the lock. */
    private final class Feed implements LoadLoop.Source {
        @Override
        public ReorderWindow.Entry take() throws InterruptedException {
            lock.lock();
            try {
                while (true) {
                    if (abortCause != null) {
                        return null;
                    }
                    ReorderWindow.Entry e = window.next();
                    if (e != null) {
                        return e;
                    }
                    dataReady.await();
                }
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void loaded(ReorderWindow.Entry e) {
            lock.lock();
            try {
                window.release(e);
                backpressure.progressed();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void completed() {
            lock.lock();
            try {
                completed = true;
                stateChanged.signalAll();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void failed(Throwable t, int index) {
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
                backpressure.wakeAll();
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
            window.checkComplete();
        } catch (ReorderWindow.Refusal r) {
            throw new MalformedPacketException(ProtocolCode.MALFORMED, MalformedPacketException.NO_CHANNEL, -1,
                    r.field(), r.value(), r.getMessage());
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
                            + " did not finish within " + timeoutText + " (" + window.releasedBytes() + " of "
                            + window.receivedBytes() + " received bytes loaded)");
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
            backpressure.wakeAll();
            stateChanged.signalAll();
            window.dropData(); // nothing will load it
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

    /** Under the lock: throws if the migration was aborted. */
    private void checkAborted() throws IOException {
        if (abortCause != null) {
            throw new MigrationFailedException("device-state: migration aborted (device " + key + ")", abortCause);
        }
    }

    /** Under the lock: throws if the migration was aborted or the loader failed (ends a back-pressure wait). */
    private void checkUsable() throws IOException {
        checkAborted();
        if (failure != null) {
            throw new MigrationFailedException("device-state: device " + key + " failed", failure);
        }
    }

    /** For tests: bytes queued out of order, in order (waiting for the loader), and channels waiting. */
    long[] queuedBytes() {
        lock.lock();
        try {
            return new long[] {window.outOfOrderBytes(), window.inOrderBytes(), backpressure.waiting()};
        } finally {
            lock.unlock();
        }
    }
}
