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
package io.multifd.ram;

/**
 * Follows the rounds of a {@link RamSaver} (and so of a {@link PreCopy}), for a progress bar or a
 * log. Set it with {@link RamSaver#roundListener(RoundListener)}. Every method has an empty
 * default, so a listener overrides only what it needs.
 *
 * <p>Methods are called on the saver's thread (the one that runs the rounds), one at a time, in
 * order: {@code onRoundStarted}, any number of {@code onRoundProgress}, {@code onRoundFinished}.
 * Time spent in them delays the rounds, so they should be quick; they must not call back into the
 * saver. An exception thrown by a listener is logged and otherwise ignored.
 * Per-session events (connection, sync, completion) go to the session's
 * {@link io.multifd.api.MigrationListener}.
 */
public interface RoundListener {

    /** A listener that does nothing. */
    RoundListener NONE = new RoundListener() {
    };

    /**
     * A round starts.
     *
     * @param round        1-based
     * @param plannedPages pages the round will send (all pages in round 1, then the dirty pages at
     *                     the start of the round)
     * @param plannedBytes their size in bytes
     */
    default void onRoundStarted(int round, long plannedPages, long plannedBytes) {
    }

    /**
     * Progress inside a round: called every 64 MiB of queued pages, not per packet.
     *
     * @param round     1-based
     * @param donePages pages queued so far in this round
     * @param doneBytes their size in bytes
     */
    default void onRoundProgress(int round, long donePages, long doneBytes) {
    }

    /**
     * A round finished, its sync included.
     *
     * @param stats what it moved
     */
    default void onRoundFinished(RoundStats stats) {
    }
}
