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

import java.util.concurrent.TimeUnit;

/**
 * Joins the library's threads against a deadline, for both sides' shutdown. Never throws; an
 * interrupt stops the wait and stays set on the calling thread.
 */
public final class ThreadJoins {

    /** How long a shutdown waits for threads beyond the grace period it already gave them. */
    public static final long SHUTDOWN_MARGIN_NANOS = TimeUnit.SECONDS.toNanos(5);

    private ThreadJoins() {
    }

    /**
     * The deadline for a shutdown that grants its threads {@code graceNanos} plus
     * {@link #SHUTDOWN_MARGIN_NANOS}.
     *
     * @param graceNanos the grace period the channels get to drain
     * @return a {@link System#nanoTime()} deadline
     */
    public static long shutdownDeadline(long graceNanos) {
        return System.nanoTime() + graceNanos + SHUTDOWN_MARGIN_NANOS;
    }

    /**
     * Waits until {@code t} ended or the deadline passed. A null thread, a thread never started
     * and the calling thread itself are not waited for.
     *
     * @param t             the thread, or null
     * @param deadlineNanos a {@link System#nanoTime()} deadline
     * @return false only if {@code t} is another thread that is still alive afterwards
     */
    public static boolean join(Thread t, long deadlineNanos) {
        if (t == null || t == Thread.currentThread() || t.getState() == Thread.State.NEW) {
            return true;
        }
        try {
            long left = deadlineNanos - System.nanoTime();
            if (left > 0) {
                TimeUnit.NANOSECONDS.timedJoin(t, left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return !t.isAlive();
    }

    /**
     * {@link #join} that logs a WARNING naming the thread if it did not end in time.
     *
     * @param t             the thread, or null
     * @param deadlineNanos a {@link System#nanoTime()} deadline
     * @param log           where to log
     * @return false if {@code t} is still alive
     */
    public static boolean joinOrWarn(Thread t, long deadlineNanos, System.Logger log) {
        boolean ended = join(t, deadlineNanos);
        if (!ended) {
            log.log(System.Logger.Level.WARNING, t.getName() + " did not end in time");
        }
        return ended;
    }
}
