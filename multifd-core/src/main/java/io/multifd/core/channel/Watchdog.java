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

import io.multifd.core.session.SessionThreads;

import java.io.Closeable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Bounds blocking transport calls. A blocking NIO channel ignores socket timeouts, so instead a
 * channel arms its {@link Guard} with a deadline before each blocking read, write, connect or
 * accept, and disarms it afterwards; one watchdog thread per sender or receiver checks the
 * deadlines a few times per timeout and closes the transport of any guard whose deadline passed,
 * which makes the blocked call return with an exception. The guard remembers that it fired, so
 * the caller reports a timeout instead of "channel closed".
 *
 * <p>Thread-safe. The watchdog thread waits on a condition with a timeout between checks (no
 * busy waiting) and ends on {@link #close()}.
 */
public final class Watchdog implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Watchdog.class.getName());

    private final CopyOnWriteArrayList<Guard> guards = new CopyOnWriteArrayList<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    private final long tickNanos;
    private final Thread thread;
    private boolean closed;

    /**
     * Starts the watchdog thread (role {@code watchdog}).
     *
     * @param threads     makes the thread
     * @param tickNanos   how often deadlines are checked; a deadline fires at most this late
     */
    public Watchdog(SessionThreads threads, long tickNanos) {
        this.tickNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(2), tickNanos);
        this.thread = threads.newThread(this::run, "watchdog");
        this.thread.start();
    }

    /**
     * Makes a guard for one transport.
     *
     * @param target what to close when a deadline passes
     * @return the guard, used by one thread at a time for arming (any thread may force)
     */
    public Guard guard(Closeable target) {
        Guard g = new Guard(target);
        guards.add(g);
        return g;
    }

    /**
     * Removes a guard (its transport is closed or handed over).
     *
     * @param g the guard
     */
    public void remove(Guard g) {
        guards.remove(g);
    }

    private void run() {
        lock.lock();
        try {
            while (!closed) {
                wake.awaitNanos(tickNanos);
                if (closed) {
                    break;
                }
                long now = System.nanoTime();
                for (Guard g : guards) {
                    g.check(now);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    /** Stops the watchdog thread and waits for it to end (bounded). */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            wake.signalAll();
        } finally {
            lock.unlock();
        }
        if (Thread.currentThread() != thread) {
            try {
                thread.join(TimeUnit.NANOSECONDS.toMillis(tickNanos) + 5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * The deadline of one transport's current blocking call. {@link #arm} and {@link #disarm}
     * are called by the thread doing the call; {@link #forceCloseAt} by any thread.
     */
    public static final class Guard {
        private final Closeable target;
        private volatile long deadline;        // 0: disarmed
        private volatile long forceDeadline;   // 0: none
        private volatile String operation = "";
        private volatile boolean fired;
        private volatile boolean forced;

        private Guard(Closeable target) {
            this.target = target;
        }

        /**
         * Arms the guard before a blocking call.
         *
         * @param timeoutNanos how long the call may block
         * @param what         what the call does, for the timeout message
         */
        public void arm(long timeoutNanos, String what) {
            operation = what;
            long d = System.nanoTime() + timeoutNanos;
            deadline = d == 0 ? 1 : d;
        }

        /** Disarms the guard after the call returned. */
        public void disarm() {
            deadline = 0;
        }

        /**
         * Makes the watchdog close the transport at a deadline, whatever the caller arms: used
         * after a failure, to bound how long a channel may take to write its last words.
         *
         * @param nanosFromNow grace period
         */
        public synchronized void forceCloseAt(long nanosFromNow) {
            long d = System.nanoTime() + nanosFromNow;
            long cur = forceDeadline;
            if (!forced && (cur == 0 || d - cur < 0)) {
                forceDeadline = d == 0 ? 1 : d;
            }
        }

        /**
         * Cancels a forced close that has not come due. Any thread.
         *
         * @return true if none is pending any more; false if it already came due (the transport is
         *         closed or being closed)
         */
        public synchronized boolean cancelForceClose() {
            if (forced) {
                return false;
            }
            forceDeadline = 0;
            return true;
        }

        /** True if the watchdog closed the transport because an armed call timed out. */
        public boolean fired() {
            return fired;
        }

        /** True if the watchdog closed the transport because a forced close came due. */
        public boolean forced() {
            return forced;
        }

        /** What the last armed call was doing. */
        public String operation() {
            return operation;
        }

        void check(long now) {
            long d = deadline;
            boolean timeout = d != 0 && now - d >= 0;
            boolean force = false;
            if (!timeout || fired) {
                synchronized (this) {
                    long f = forceDeadline;
                    force = !forced && f != 0 && now - f >= 0;
                    forced |= force; // decided under the lock: a cancel after this sees it
                }
            }
            if ((timeout && !fired) || force) {
                if (timeout) {
                    fired = true;
                }
                try {
                    target.close();
                } catch (Exception e) {
                    LOG.log(System.Logger.Level.DEBUG, "closing a timed-out channel failed", e);
                }
            }
        }
    }
}
