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

import java.io.InterruptedIOException;
import java.util.ArrayDeque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * A token bucket on wire bytes, shared by every channel of one sender. A channel asks for a
 * chunk before writing it and waits (on a condition, with a deadline: not a busy wait) until the
 * bucket holds enough; the bucket refills at the configured rate and holds at most a tenth of a
 * second of bytes, so bursts after an idle spell stay short. It starts empty, so a migration
 * never starts with a burst above the cap (a full bucket made short runs measure 30 % over it).
 *
 * <p>Writers are served in the order they asked (a queue, not whoever wakes first), and each
 * asks for a chunk of about 50 ms of bytes divided by the number of writers: under any cap every
 * waiting channel writes within about 50 ms of its turn coming round (with very many channels
 * under a very low cap, within {@code writers × 256 bytes / rate}), so that no receiver sees a
 * throttled channel as a stalled one (a free-for-all let one channel wait past the I/O timeout
 * while the others took every refill).
 *
 * <p>The rate can be changed at any time with {@link #rate(long)}, also while channels wait:
 * they wake up and wait again at the new rate; rate 0 means no cap (writers then skip the
 * limiter). Thread-safe.
 */
public final class RateLimiter {

    private final ReentrantLock lock = new ReentrantLock(true);
    private final Condition changed = lock.newCondition();
    // written under the lock; volatile for chunk() and unlimited(), which do not take it
    private volatile long bytesPerSecond;
    private long capacity;
    private double tokens;
    private long last;
    private final int writers;
    /** The threads waiting in {@link #acquire}, first come first served; under the lock. */
    private final ArrayDeque<Thread> queue = new ArrayDeque<>();

    /**
     * A limiter for one writer.
     *
     * @param bytesPerSecond the rate: 0 for no cap, otherwise at least 1
     */
    public RateLimiter(long bytesPerSecond) {
        this(bytesPerSecond, 1);
    }

    /**
     * @param bytesPerSecond the rate: 0 for no cap, otherwise at least 1
     * @param writers        how many threads share it (a sender's channels); sizes {@link #chunk()}
     */
    public RateLimiter(long bytesPerSecond, int writers) {
        if (writers < 1) {
            throw new IllegalArgumentException("writers must be positive: " + writers);
        }
        this.writers = writers;
        rate(bytesPerSecond);
        this.tokens = 0;
        this.last = System.nanoTime();
    }

    /**
     * Changes the rate from now on. The tokens already in the bucket are kept up to the new
     * capacity; waiting writers wake up and wait again at the new rate. Any thread.
     *
     * @param newBytesPerSecond 0 for no cap, otherwise at least 1
     * @throws IllegalArgumentException if negative
     */
    public void rate(long newBytesPerSecond) {
        if (newBytesPerSecond < 0) {
            throw new IllegalArgumentException("bandwidth cap must be 0 (none) or positive: " + newBytesPerSecond);
        }
        lock.lock();
        try {
            if (bytesPerSecond > 0) {
                refill(System.nanoTime()); // the old rate counts until now
            } else {
                last = System.nanoTime();
            }
            bytesPerSecond = newBytesPerSecond;
            capacity = Math.max(4096, newBytesPerSecond / 10);
            tokens = Math.min(tokens, capacity);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@link #rate(long)} for a cap a user changes while the migration runs: the same bounds as
     * {@code MultiFdConfig.maxBandwidth} (0, or at least 4096 bytes per second). Any thread.
     *
     * @param newBytesPerSecond 0 for no cap, otherwise at least 4096
     * @return the rate before the change
     * @throws IllegalArgumentException if out of range
     */
    public long change(long newBytesPerSecond) {
        if (newBytesPerSecond != 0 && newBytesPerSecond < 4096) {
            throw new IllegalArgumentException("maxBandwidth must be 0 (no cap) or at least 4096 bytes/s: "
                    + newBytesPerSecond);
        }
        lock.lock(); // reentrant: rate() takes it again, so the old rate and the change are one step
        try {
            long old = bytesPerSecond;
            rate(newBytesPerSecond);
            return old;
        } finally {
            lock.unlock();
        }
    }

    /** The rate in bytes per second; 0 for no cap. Any thread. */
    public long rate() {
        return bytesPerSecond;
    }

    /** True if there is no cap now; writers then write without asking. Any thread. */
    public boolean unlimited() {
        return bytesPerSecond == 0;
    }

    /** Empties the bucket and restarts its clock: the start of the transfer. */
    public void restart() {
        lock.lock();
        try {
            tokens = 0;
            last = System.nanoTime();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The chunk a writer should ask for at a time: about 50 ms of bytes shared by the writers,
     * at least 256 bytes (a TLS record's overhead stays under a tenth) and at most 1 MiB.
     */
    public int chunk() {
        return (int) Math.min(1 << 20, Math.max(256, bytesPerSecond / 20 / writers));
    }

    private void refill(long now) {
        tokens = Math.min(capacity, tokens + (now - last) * (bytesPerSecond / 1e9));
        last = now;
    }

    /**
     * Takes {@code n} bytes' worth of tokens, waiting as long as needed. Returns at once if the
     * cap was removed.
     *
     * @param n       bytes about to be written, at most {@link #chunk()} as it was when asked
     * @param aborted polled after each wait; true ends the wait with an exception
     * @throws InterruptedIOException if interrupted or aborted
     */
    public void acquire(int n, BooleanSupplier aborted) throws InterruptedIOException {
        Thread me = Thread.currentThread();
        lock.lock();
        try {
            queue.addLast(me); // no allocation: an array deque of at most `writers` threads
            while (true) {
                long rate = bytesPerSecond;
                if (rate == 0) {
                    return;
                }
                if (aborted.getAsBoolean()) {
                    throw new InterruptedIOException("bandwidth wait aborted: the migration failed");
                }
                long waitNanos = 100_000_000L;
                if (queue.peekFirst() == me) {
                    refill(System.nanoTime());
                    // a chunk asked for at a higher rate may exceed a lowered capacity: never wait forever
                    double need = Math.min(n, capacity);
                    if (tokens >= need) {
                        tokens -= need;
                        return;
                    }
                    waitNanos = Math.min(waitNanos, (long) Math.ceil((need - tokens) * 1e9 / rate));
                }
                changed.awaitNanos(waitNanos);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for bandwidth");
        } finally {
            queue.removeFirstOccurrence(me);
            changed.signalAll(); // the next in line may take its turn
            lock.unlock();
        }
    }

    /** Wakes every waiter (they re-check whether the migration was aborted). */
    public void wakeAll() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
