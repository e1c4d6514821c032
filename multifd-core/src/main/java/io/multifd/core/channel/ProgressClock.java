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

import io.multifd.core.session.Durations;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * When any channel of one session last moved a byte, and how long a wait on the channels may go
 * on without that happening (the I/O timeout). Waits that depend on other channels (the sender's
 * wait for an idle channel, for the SYNC markers and the end of stream to be written; the
 * receiver's sync barrier and its wait for every channel's end of stream) are bounded by lack of
 * progress rather than by a fixed deadline: a migration that moves slowly, for instance under a
 * low bandwidth cap, never times out, and one where nothing moves fails after the I/O timeout.
 *
 * <p>A channel waiting for bandwidth under the cap is held back on purpose, not stalled: while
 * one is ({@link #throttleBegin()} .. {@link #throttleEnd}), no wait counts as stalled.
 *
 * <p>Thread-safe: every {@link ChannelIo} of the session calls {@link #tick} after each read or
 * write that moved bytes (one volatile store next to a system call); waiters call {@link #left}.
 */
public final class ProgressClock {

    private final long timeoutNanos;
    private final boolean frozen;
    private volatile long last;
    private final AtomicInteger throttled = new AtomicInteger();

    private ProgressClock(long timeoutNanos, boolean frozen) {
        if (timeoutNanos <= 0) {
            throw new IllegalArgumentException("timeout must be positive: " + timeoutNanos + " ns");
        }
        this.timeoutNanos = timeoutNanos;
        this.frozen = frozen;
        this.last = System.nanoTime();
    }

    /**
     * A clock for one session.
     *
     * @param timeout how long a wait may go on while no channel moves a byte
     * @return a new clock whose last progress is now
     */
    public static ProgressClock of(Duration timeout) {
        return new ProgressClock(timeout.toNanos(), false);
    }

    /**
     * A clock that ignores {@link #tick}: a plain deadline of {@code timeoutNanos} from the start
     * of each wait.
     *
     * @param timeoutNanos the deadline
     * @return a new clock
     */
    public static ProgressClock frozen(long timeoutNanos) {
        return new ProgressClock(timeoutNanos, true);
    }

    /**
     * Notes that a channel moved bytes. Any thread.
     *
     * @param nowNanos {@link System#nanoTime()} after the read or write returned
     */
    public void tick(long nowNanos) {
        if (!frozen) {
            last = nowNanos;
        }
    }

    /** A channel starts waiting for bandwidth under the cap. Any thread. */
    public void throttleBegin() {
        if (!frozen) {
            throttled.incrementAndGet();
        }
    }

    /**
     * The channel that called {@link #throttleBegin()} got its bandwidth (or gave up waiting).
     *
     * @param nowNanos {@link System#nanoTime()} now
     */
    public void throttleEnd(long nowNanos) {
        if (!frozen) {
            last = nowNanos;
            throttled.decrementAndGet();
        }
    }

    /** @return the time without progress after which a wait fails, in nanoseconds */
    public long timeoutNanos() {
        return timeoutNanos;
    }

    /**
     * How much longer a wait that began at {@code startNanos} may go on: the timeout, and a
     * quarter more, counted from the later of its start and the last progress of any channel (a
     * frozen clock: exactly the timeout from the start). Any thread.
     *
     * @param startNanos {@link System#nanoTime()} when the wait began
     * @return nanoseconds left; zero or less once the wait has gone on for the timeout without
     *         progress (re-check after waiting: progress meanwhile moves the deadline)
     */
    public long left(long startNanos) {
        if (throttled.get() > 0) {
            return timeoutNanos; // held back by the cap, not stalled: look again later
        }
        long l = last;
        long from = !frozen && l - startNanos > 0 ? l : startNanos;
        // A quarter more than the timeout: a channel's own read or write timeout (checked by the
        // watchdog up to an eighth late), which names the channel and what it was doing, fires first.
        return from + timeoutNanos + (frozen ? 0 : timeoutNanos / 4) - System.nanoTime();
    }

    /** @return words for a timeout message, such as "no channel moved a byte for 30 s" */
    public String stalledWords() {
        return "no channel moved a byte for " + Durations.format(timeoutNanos);
    }
}
