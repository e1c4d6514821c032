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
package io.multifd.examples.cli;

import java.util.function.LongSupplier;

/**
 * The time {@code --resume-timeout} allows a paused post-copy, counted per pause: a resumed
 * session that moved pages (the destination lacks fewer than at the pause's start) ends the
 * pause, and the next break starts a new one with the whole budget. Without progress the
 * attempts share one budget, so a peer that accepts and breaks every session cannot keep the
 * command retrying forever. One thread (the command's).
 */
final class PauseBudget {

    private final long budgetNanos;
    private final LongSupplier clock;
    private long deadline;
    private long missing;

    /**
     * @param budgetNanos the time each pause may take
     * @param missing     the pages the destination lacks as the pause begins
     * @param clock       {@link System#nanoTime()}, or a test's clock
     */
    PauseBudget(long budgetNanos, long missing, LongSupplier clock) {
        this.budgetNanos = budgetNanos;
        this.clock = clock;
        this.missing = missing;
        this.deadline = clock.getAsLong() + budgetNanos;
    }

    /**
     * After an attempt failed: if the destination lacks fewer pages than when this pause began,
     * the attempt (or a session before it) moved pages, and a new pause begins.
     *
     * @param missingNow the pages the destination lacks now, as last known
     * @return true if a new pause began
     */
    boolean failedWith(long missingNow) {
        if (missingNow < missing) {
            missing = missingNow;
            deadline = clock.getAsLong() + budgetNanos;
            return true;
        }
        return false;
    }

    /** Nanoseconds left in this pause (negative once it is over). */
    long leftNanos() {
        return deadline - clock.getAsLong();
    }
}
