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
package io.multifd.core;

import io.multifd.api.ChannelTimeoutException;
import io.multifd.api.MigrationFailedException;
import io.multifd.api.MigrationStats;
import io.multifd.api.MultiFdException;
import io.multifd.api.ProtocolCode;
import io.multifd.api.RemoteFailureException;
import io.multifd.core.session.Durations;
import io.multifd.core.session.FailureLatch;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.locks.Condition;
import java.util.function.BooleanSupplier;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A {@link MultiFdReceiver}'s life cycle as its callers see it: NEW until {@code start()},
 * RUNNING, DONE once every thread of the receiver ended (or it was closed before
 * {@code start()}); the final statistics; and the two ways to wait for them, {@link #await} and
 * the {@link #future()}.
 *
 * <p>Thread-safe: one lock guards the state and the result; {@link #await} may be called from any
 * thread. {@link #result} and {@link #done()} are called by the receiver's coordinating thread,
 * {@link #completeFuture()} by whichever thread ended the receiver, once the state is DONE.
 */
final class ReceiverOutcome {

    private enum State { NEW, RUNNING, DONE }

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final FailureLatch latch;
    private final MigrationFuture future;
    private State state = State.NEW; // lock
    private boolean closedBeforeStart; // lock
    private MigrationStats result; // lock
    private final BooleanSupplier completedEverywhere;

    /**
     * @param latch the receiver's first error: a failed migration's await throws with its cause
     * @param abort what cancelling the future does (fails the migration without waiting)
     * @param completedEverywhere whether COMPLETED was written on every channel (a failure after
     *                            that leaves the sender's outcome unknown); any thread
     */
    ReceiverOutcome(FailureLatch latch, Runnable abort, BooleanSupplier completedEverywhere) {
        this.latch = latch;
        this.future = new MigrationFuture(abort);
        this.completedEverywhere = completedEverywhere;
    }

    /** The exception a failed migration's {@code await} throws, flagged when the sender may have completed. */
    private MigrationFailedException failed(Throwable f) {
        // the sender's own ABORT or ERROR says how it ended: then the outcome is known
        return completedEverywhere.getAsBoolean() && !(f instanceof RemoteFailureException)
                ? new MigrationFailedException("migration failed after this receiver reported completion to the sender "
                        + "(the sender may have completed: outcome unknown)", f, true)
                : new MigrationFailedException("migration failed", f);
    }

    /**
     * What the listener's {@code onFailed} is told: the first cause itself, or, when the sender
     * may have completed, the flagged exception {@link #await} throws, so that a listener can
     * tell the two apart without calling back into the receiver.
     *
     * @param f the first cause
     * @return {@code f}, or a {@link MigrationFailedException} whose
     *         {@link MigrationFailedException#outcomeUnknown()} is true and whose cause is {@code f}
     */
    Throwable reported(Throwable f) {
        MigrationFailedException m = failed(f);
        return m.outcomeUnknown() ? m : f;
    }

    /**
     * Moves from NEW to RUNNING, running {@code prepare} under the lock first; if it throws, the
     * receiver stays NEW.
     *
     * @param prepare what must exist before the threads start
     * @throws IllegalStateException if already started, or closed
     */
    void start(Runnable prepare) {
        lock.lock();
        try {
            if (state != State.NEW) {
                throw new IllegalStateException(closedBeforeStart
                        ? "the receiver was closed before start()" : "start() was already called");
            }
            prepare.run();
            state = State.RUNNING;
        } finally {
            lock.unlock();
        }
    }

    /**
     * If the receiver was never started, ends it here: failed with ABORTED, DONE.
     *
     * @return true if it was NEW (and is now DONE); false if it had been started
     */
    boolean closeBeforeStart() {
        lock.lock();
        try {
            if (state != State.NEW) {
                return false;
            }
            latch.trip(new MultiFdException(ProtocolCode.ABORTED, "the receiver was closed before start()"));
            closedBeforeStart = true;
            state = State.DONE;
            changed.signalAll();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The migration passed its commit point with these statistics.
     *
     * @param s the final statistics
     */
    void result(MigrationStats s) {
        lock.lock();
        try {
            result = s;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Every thread of the receiver ended: waiters wake up.
     *
     * @return the final statistics, or null if the migration failed
     */
    MigrationStats done() {
        lock.lock();
        try {
            state = State.DONE;
            changed.signalAll();
            return result;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits at most {@code timeout} for DONE.
     *
     * @param timeout how long to wait
     * @return the final statistics
     * @throws IllegalStateException    before {@code start()}
     * @throws ChannelTimeoutException  if it did not end in time (the migration goes on)
     * @throws MigrationFailedException carrying the first cause if the migration failed
     * @throws InterruptedIOException   if interrupted
     */
    MigrationStats await(Duration timeout) throws IOException {
        long left = timeout.toNanos();
        lock.lock();
        try {
            if (state == State.NEW) {
                throw new IllegalStateException("await() before start()");
            }
            while (state != State.DONE) {
                if (left <= 0) {
                    throw new ChannelTimeoutException("the migration did not end within " + Durations.format(timeout)
                            + " (it goes on: await again, or close the receiver to abort it)");
                }
                left = changed.awaitNanos(left);
            }
            Throwable f = latch.cause();
            if (f != null) {
                throw failed(f);
            }
            return result;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the migration");
        } finally {
            lock.unlock();
        }
    }

    /** The future {@code awaitAsync()} returns; the same one every time. */
    MigrationFuture future() {
        return future;
    }

    /** Completes the future as {@link #await} would end, once the state is DONE. */
    void completeFuture() {
        Throwable f;
        MigrationStats s;
        lock.lock();
        try {
            f = latch.cause();
            s = result;
        } finally {
            lock.unlock();
        }
        if (f != null) {
            future.completeExceptionally(failed(f));
        } else {
            future.complete(s);
        }
    }
}
