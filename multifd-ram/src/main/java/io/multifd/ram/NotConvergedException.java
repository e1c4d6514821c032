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

import io.multifd.api.MultiFdException;
import io.multifd.api.ProtocolCode;

import java.time.Duration;

/**
 * Pre-copy reached its round limit without converging, and the product asked to fail rather than
 * switch over ({@link PreCopy.Builder#failIfNotConverged(boolean)}). The writers were not paused
 * and no final round ran; the owner should abort the sender ({@code close()} without
 * {@code finish()}).
 */
public class NotConvergedException extends MultiFdException {

    private static final long serialVersionUID = 1L;

    private final int rounds;
    private final long dirtyPages;
    private final Duration estimatedDowntime;

    /**
     * @param rounds            rounds run
     * @param dirtyPages        pages still dirty
     * @param estimatedDowntime how long the final round was estimated to take
     */
    public NotConvergedException(int rounds, long dirtyPages, Duration estimatedDowntime) {
        super(ProtocolCode.FAILED, "ram pre-copy did not converge in " + rounds + " rounds: " + dirtyPages
                + " pages still dirty, estimated downtime " + estimatedDowntime.toMillis() + " ms");
        this.rounds = rounds;
        this.dirtyPages = dirtyPages;
        this.estimatedDowntime = estimatedDowntime;
    }

    /** Rounds run. */
    public int rounds() {
        return rounds;
    }

    /** Pages still dirty when pre-copy gave up. */
    public long dirtyPages() {
        return dirtyPages;
    }

    /** The estimated duration of the final round that did not run. */
    public Duration estimatedDowntime() {
        return estimatedDowntime;
    }
}
