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
import io.multifd.core.jfr.SyncEvent;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;
import java.util.function.Supplier;

/**
 * The receiver's barrier per sync epoch: a channel that read SYNC(e) waits here until every
 * channel has read SYNC(e). A channel can only be in one epoch at a time and cannot pass epoch e
 * before all did, so a generation counter suffices (a cyclic barrier). The first error aborts
 * every wait, and so does a wait in which no channel moved a byte for the I/O timeout (a sender
 * that wrote SYNC on one channel and then nothing on another). Thread-safe; called from the
 * channel threads.
 *
 * <p>Records one {@link SyncEvent} per epoch, from the first channel's arrival to the last's.
 */
public final class SyncBarrier {

    private final int parties;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition passed = lock.newCondition();
    private final Supplier<Throwable> failure;
    private final LongConsumer onPassed;
    private final ProgressClock clock;
    private long generation;
    private int arrived;
    private SyncEvent event; // lock; begun by the first arrival of the current generation

    /**
     * @param parties  the channel count
     * @param failure  returns the migration's first error, or null; polled on every wake-up
     * @param onPassed called by the last arriving channel with the epoch that ended
     */
    public SyncBarrier(int parties, Supplier<Throwable> failure, LongConsumer onPassed) {
        this(parties, failure, onPassed, null);
    }

    /**
     * @param parties  the channel count
     * @param failure  returns the migration's first error, or null; polled on every wake-up
     * @param onPassed called by the last arriving channel with the epoch that ended
     * @param clock    bounds each wait by lack of progress on every channel; null for no bound
     */
    public SyncBarrier(int parties, Supplier<Throwable> failure, LongConsumer onPassed, ProgressClock clock) {
        this.parties = parties;
        this.failure = failure;
        this.onPassed = onPassed;
        this.clock = clock;
    }

    /** Epochs every channel has passed. */
    public long passedEpochs() {
        lock.lock();
        try {
            return generation;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until every channel has arrived at {@code epoch}.
     *
     * @param epoch the epoch the SYNC ended; must be the barrier's current generation
     * @throws MigrationFailedException if the migration failed meanwhile
     * @throws ChannelTimeoutException  if no channel moved a byte for the I/O timeout meanwhile
     * @throws InterruptedIOException   if interrupted
     * @throws IllegalStateException    if the epoch is not the current one (a caller bug: the
     *                                  channel checks the epoch of every packet first)
     */
    public void arrive(long epoch) throws IOException {
        long start = System.nanoTime();
        lock.lock();
        try {
            if (epoch != generation) {
                throw new IllegalStateException("SYNC of epoch " + epoch + " while the barrier is at " + generation);
            }
            if (++arrived == 1) {
                event = new SyncEvent();
                event.begin();
            }
            if (arrived == parties) {
                arrived = 0;
                generation++;
                passed.signalAll();
                SyncEvent e = event;
                event = null;
                e.commit("receiver", epoch);
                onPassed.accept(epoch);
                return;
            }
            while (generation == epoch) {
                Throwable f = failure.get();
                if (f != null) {
                    throw new MigrationFailedException("sync barrier aborted", f);
                }
                if (clock == null) {
                    passed.await();
                    continue;
                }
                long left = clock.left(start);
                if (left <= 0) {
                    throw new ChannelTimeoutException(clock.stalledWords() + " while waiting at the sync barrier"
                            + " of epoch " + epoch + " (" + arrived + " of " + parties + " channels had read its SYNC)");
                }
                passed.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted at the sync barrier");
        } finally {
            lock.unlock();
        }
    }

    /** Wakes every waiter so that it sees the failure. */
    public void abort() {
        lock.lock();
        try {
            passed.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
