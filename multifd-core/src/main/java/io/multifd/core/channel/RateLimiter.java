package io.multifd.core.channel;

import java.io.InterruptedIOException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * A token bucket on wire bytes, shared by every channel of one sender. A channel asks for a
 * chunk before writing it and waits (on a condition, with a deadline: not a busy wait) until the
 * bucket holds enough; the bucket refills at the configured rate and holds at most a tenth of a
 * second of bytes, so bursts after an idle spell stay short. It starts empty, so a migration
 * never starts with a burst above the cap (a full bucket made short runs measure 30 % over it).
 * Thread-safe.
 */
public final class RateLimiter {

    private final long bytesPerSecond;
    private final long capacity;
    private final ReentrantLock lock = new ReentrantLock(true);
    private final Condition changed = lock.newCondition();
    private double tokens;
    private long last;

    /**
     * @param bytesPerSecond the rate, at least 1
     */
    public RateLimiter(long bytesPerSecond) {
        this.bytesPerSecond = bytesPerSecond;
        this.capacity = Math.max(4096, bytesPerSecond / 10);
        this.tokens = 0;
        this.last = System.nanoTime();
    }

    /** The chunk a writer should ask for at a time: about 50 ms of bytes, at least 4 KiB. */
    public int chunk() {
        return (int) Math.min(1 << 20, Math.max(4096, bytesPerSecond / 20));
    }

    /**
     * Takes {@code n} bytes' worth of tokens, waiting as long as needed.
     *
     * @param n       bytes about to be written, at most {@link #chunk()}
     * @param aborted polled after each wait; true ends the wait with an exception
     * @throws InterruptedIOException if interrupted or aborted
     */
    public void acquire(int n, BooleanSupplier aborted) throws InterruptedIOException {
        lock.lock();
        try {
            while (true) {
                long now = System.nanoTime();
                tokens = Math.min(capacity, tokens + (now - last) * (bytesPerSecond / 1e9));
                last = now;
                if (tokens >= n) {
                    tokens -= n;
                    return;
                }
                if (aborted.getAsBoolean()) {
                    throw new InterruptedIOException("bandwidth wait aborted: the migration failed");
                }
                long waitNanos = (long) Math.ceil((n - tokens) * 1e9 / bytesPerSecond);
                changed.awaitNanos(Math.min(waitNanos, 100_000_000L));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for bandwidth");
        } finally {
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
