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
package io.multifd.core.session;

import io.multifd.api.ChannelTimeoutException;
import io.multifd.api.MigrationFailedException;
import io.multifd.core.channel.ProgressClock;
import io.multifd.core.channel.ReceiveChannel;
import io.multifd.core.wire.Reply;
import io.multifd.core.wire.EndExchange;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The receiver's half of the end of a migration ({@link EndExchange}), across its channels:
 * every channel thread reports its EOS ({@link #eosRead}) and waits until COMPLETED was written
 * on every channel ({@link #awaitCompleted}); the coordinating thread waits for every EOS
 * ({@link #awaitEveryEos}), lets the plug-ins finish, writes COMPLETED, says so
 * ({@link #completedWritten}) and waits for every COMMIT ({@link #awaitEveryCommit}).
 *
 * <p>Thread-safe. Every wait ends with a {@link MigrationFailedException} once the migration's
 * {@link FailureLatch} tripped; whoever trips it calls {@link #wake()} afterwards. Until every
 * channel read its EOS, the waits are also bounded by lack of progress: once no channel moved a
 * byte for the I/O timeout they fail (a channel waiting here does not read, so nothing else
 * would end a sender that wrote EOS on one channel and then nothing on another).
 */
public final class ReceiverEnd {

    private final FailureLatch latch;
    private final ProgressClock clock;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    // guarded by lock
    private int eosCount;
    private boolean completed;
    private int commitCount;

    /**
     * @param latch the migration's first error
     * @param clock the session's progress clock (every channel's reads tick it)
     */
    public ReceiverEnd(FailureLatch latch, ProgressClock clock) {
        this.latch = latch;
        this.clock = clock;
    }

    /** @return the session's progress clock, for the channels' connections and the sync barrier */
    public ProgressClock clock() {
        return clock;
    }

    private volatile boolean completedEverywhere;

    /** A channel thread read a valid EOS. */
    public void eosRead() {
        count(() -> eosCount++);
    }

    /** A channel thread read COMMIT. */
    public void commitRead() {
        count(() -> commitCount++);
    }

    /** The coordinating thread wrote COMPLETED on every channel. */
    public void completedWritten() {
        count(() -> completed = true);
    }

    /**
     * Coordinating thread: writes COMPLETED on every channel, then says so. If a write fails
     * (the sender went away), the channel threads are let go on first and given up to
     * {@code graceNanos} to read what the sender wrote before it closed: an ABORT there names the
     * real cause (for instance a cancel), which a bare broken pipe on this side would hide.
     *
     * @param channels   the session's channels
     * @param graceNanos how long to wait for a better cause
     * @throws IOException the write's failure, unless a failure was recorded first
     */
    public void writeCompleted(ReceiveChannel[] channels, long graceNanos) throws IOException {
        for (ReceiveChannel c : channels) {
            try {
                c.writeReply(Reply.completed(c.packets(), c.rawBytes()), "COMPLETED");
            } catch (IOException e) {
                completedWritten(); // not true everywhere: it releases the channel threads to read
                long deadline = System.nanoTime() + graceNanos;
                lock.lock();
                try {
                    long left;
                    while (!latch.failed() && (left = deadline - System.nanoTime()) > 0) {
                        changed.awaitNanos(left);
                    }
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                } finally {
                    lock.unlock();
                }
                throw e;
            }
        }
        completedEverywhere = true;
        completedWritten();
    }

    /**
     * Whether COMPLETED was written on every channel: from then on the sender may commit, so a
     * failure leaves its outcome unknown. Any thread.
     *
     * @return true once every COMPLETED was written
     */
    public boolean completedEverywhere() {
        return completedEverywhere;
    }

    private void count(Runnable change) {
        lock.lock();
        try {
            change.run();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Wakes every waiter, so that it sees the failure. Any thread. */
    public void wake() {
        count(() -> { });
    }

    /**
     * Coordinating thread: waits until every channel read EOS, as long as some channel moves
     * bytes (each channel's reads are bounded too, and a failed read fails the migration).
     *
     * @param channels the channel count
     * @throws ChannelTimeoutException  if no channel moved a byte for the I/O timeout
     * @throws MigrationFailedException if the migration failed
     * @throws InterruptedIOException   if interrupted
     */
    public void awaitEveryEos(int channels) throws IOException {
        await(() -> eosCount == channels, channels, Long.MAX_VALUE, null);
    }

    /**
     * Channel thread, after its EOS: waits until COMPLETED was written on every channel (while
     * some channel has not read its EOS, as long as some channel moves bytes; after that the
     * coordinating thread's wait for the plug-ins is bounded by the finish timeout).
     *
     * @param channels the channel count
     * @throws ChannelTimeoutException  if no channel moved a byte for the I/O timeout before every EOS
     * @throws MigrationFailedException if the migration failed
     * @throws InterruptedIOException   if interrupted
     */
    public void awaitCompleted(int channels) throws IOException {
        await(() -> completed, channels, Long.MAX_VALUE, null);
    }

    /**
     * Coordinating thread: waits until every channel read COMMIT.
     *
     * @param channels      the channel count
     * @param finishTimeout the configured finish timeout
     * @param graceNanos    the extra time the channels get
     * @throws ChannelTimeoutException  if the sender did not commit in time (its outcome is unknown)
     * @throws MigrationFailedException if the migration failed
     * @throws InterruptedIOException   if interrupted
     */
    public void awaitEveryCommit(int channels, Duration finishTimeout, long graceNanos) throws IOException {
        await(() -> commitCount == channels, 0, EndExchange.commitWait(finishTimeout).toNanos() + graceNanos,
                () -> new ChannelTimeoutException("the sender did not commit within "
                        + Durations.format(finishTimeout) + " after COMPLETED; its outcome is unknown"));
    }

    private interface Check {
        boolean ok();
    }

    private interface TimeoutError {
        IOException make();
    }

    /**
     * @param eosBound with more than {@code eosCount} of these channels still streaming, the wait
     *                 is also bounded by the progress clock; 0 for no such bound
     */
    private void await(Check check, int eosBound, long timeoutNanos, TimeoutError onTimeout) throws IOException {
        long start = System.nanoTime();
        long deadline = timeoutNanos == Long.MAX_VALUE ? 0 : start + timeoutNanos;
        lock.lock();
        try {
            while (true) {
                Throwable f = latch.cause();
                if (f != null) {
                    throw new MigrationFailedException("aborted", f);
                }
                if (check.ok()) {
                    return;
                }
                long left = Long.MAX_VALUE;
                if (onTimeout != null) {
                    left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw onTimeout.make();
                    }
                }
                if (eosCount < eosBound) {
                    long stall = clock.left(start);
                    if (stall <= 0) {
                        throw new ChannelTimeoutException(clock.stalledWords() + " while waiting for every channel's"
                                + " end of stream (" + eosCount + " of " + eosBound + " read)");
                    }
                    left = Math.min(left, stall);
                }
                if (left == Long.MAX_VALUE) {
                    changed.await();
                } else {
                    changed.awaitNanos(left);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted at the end of the migration");
        } finally {
            lock.unlock();
        }
    }
}
