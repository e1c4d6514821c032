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

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;

/**
 * Back-pressure of one device: a channel thread whose in-order buffer does not fit the device's
 * backlog ({@link ReorderWindow#backlogAllows}) waits here until the loader has released enough.
 *
 * <p>The wait cannot deadlock the sync barrier or another device: it depends only on the loader
 * consuming buffers that are already here or being read by a channel that does not wait
 * (induction on the smallest waiting index, which is the loader's next buffer and so never
 * waits). It fails when the loader makes no progress for the stall time (the I/O timeout), and
 * ends early when the owner's guard throws (abort, loader failure).
 *
 * <p>Every method runs under the lock of the owning {@link Device}, whose condition this waits
 * on: {@link #await} on channel threads, {@link #progressed()} on the load thread,
 * {@link #wakeAll()} on any thread.
 */
final class Backpressure {

    /** What the owner checks each time a waiter wakes; throws to end the wait. */
    @FunctionalInterface
    interface Guard {
        void check() throws IOException;
    }

    private final String device;
    private final Condition spaceFreed;
    private final long stallNanos;
    private long progress;
    private int waiting;

    /**
     * @param device     the device's name, for the timeout text
     * @param spaceFreed a condition of the owner's lock
     * @param stallNanos how long a waiter tolerates a loader that releases nothing
     */
    Backpressure(String device, Condition spaceFreed, long stallNanos) {
        this.device = device;
        this.spaceFreed = spaceFreed;
        this.stallNanos = stallNanos;
    }

    /**
     * Waits until the window has room for a pending buffer. Channel thread, under the lock.
     *
     * @param window    the device's window
     * @param e         the pending entry
     * @param channelId the channel, for the timeout text
     * @param guard     checked on every wake-up, before the room
     * @throws ChannelTimeoutException if the loader released nothing for the stall time
     * @throws InterruptedIOException  if the thread was interrupted
     * @throws IOException             what the guard threw
     */
    void await(ReorderWindow window, ReorderWindow.Entry e, int channelId, Guard guard) throws IOException {
        waiting++;
        try {
            long seen = progress;
            long deadline = System.nanoTime() + stallNanos;
            while (!window.backlogAllows(e)) {
                guard.check();
                long now = System.nanoTime();
                if (progress != seen) {
                    seen = progress;
                    deadline = now + stallNanos;
                }
                long remaining = deadline - now;
                if (remaining <= 0) {
                    throw new ChannelTimeoutException("channel " + channelId + ": device-state: the loader of device "
                            + device + " made no progress for " + TimeUnit.NANOSECONDS.toMillis(stallNanos)
                            + " ms while buffer " + e.index + " waited (" + window.inOrderBytes()
                            + " bytes wait for the loader, backlog cap " + window.maxBacklogBytes() + ")");
                }
                try {
                    spaceFreed.awaitNanos(remaining);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("device-state: interrupted while buffer " + e.index
                            + " of device " + device + " waited for its loader");
                }
            }
        } finally {
            waiting--;
        }
    }

    /** The loader released a buffer: waiters re-check and restart their stall clock. Under the lock. */
    void progressed() {
        progress++;
        spaceFreed.signalAll();
    }

    /** Wakes every waiter to re-check its guard. Under the lock. */
    void wakeAll() {
        spaceFreed.signalAll();
    }

    /** The number of channel threads waiting. Under the lock. */
    int waiting() {
        return waiting;
    }
}
