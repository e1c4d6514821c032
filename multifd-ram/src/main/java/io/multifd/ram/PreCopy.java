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

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The iterative pre-copy driver: sends all memory while the product keeps running, then what was
 * dirtied meanwhile, round after round, until the rest is small enough to send with the product
 * paused.
 *
 * <h2>Algorithm</h2>
 * <ol>
 *   <li>Round 1: {@link RamSaver#saveAll(java.util.Collection)} (the bitmaps are cleared first,
 *       so only writes from then on count as dirty).</li>
 *   <li>After each round: the <em>estimated downtime</em> is the time the final round would take
 *       at the last round's pace ({@code dirtyPages * elapsed / pagesSent}). Pre-copy has
 *       <em>converged</em> if the dirty pages are at most {@link Builder#dirtyPageThreshold(long)}
 *       or the estimate is at most {@link Builder#downtimeTarget(Duration)}.</li>
 *   <li>Not converged and fewer than {@link Builder#maxRounds(int)} - 1 rounds run: another round,
 *       {@link RamSaver#saveDirty(java.util.Collection)}.</li>
 *   <li>Converged, or at the limit: the pause callback stops the product's writers, and the final
 *       round ({@link RamSaver#saveFinal(java.util.Collection)}) sends the rest. At the limit
 *       without converging this is still a switch-over (reported in the result with the estimated
 *       downtime), unless {@link Builder#failIfNotConverged(boolean)} asked for a
 *       {@link NotConvergedException} instead.</li>
 * </ol>
 * {@link #run()} returns after the final round's sync. The driver knows only the
 * {@link io.multifd.api.SendSession}: <b>the owner then calls {@code sender.finish()}</b>, which
 * returns once the receiver confirmed, and resumes or retires the source as it sees fit. Each
 * round's {@link RoundStats} go to the saver's {@link RoundListener} as they finish
 * ({@link RamSaver#roundListener(RoundListener)}), and into the result.
 *
 * <h2>Threads</h2>
 * {@link #run()} runs on the calling thread (the saver's); the pause callback is called on it too.
 * The product's writers run on their own threads and mark the bitmaps.
 */
public final class PreCopy {

    /**
     * Stops the product's writers before the final round.
     */
    @FunctionalInterface
    public interface Pause {
        /**
         * Stops every writer of the migrated blocks and returns once they stopped: their writes
         * and dirty marks must happen-before the return (for instance by joining them, or by a
         * lock or latch they release). Called once, on the thread running {@link PreCopy#run()}.
         *
         * @param converged         false if the round limit forced the switch-over
         * @param dirtyPages        pages dirty at this point
         * @param estimatedDowntime the estimated duration of the final round
         * @throws Exception if the writers cannot be stopped; the driver throws it on as an
         *                   IOException and runs no final round
         */
        void pause(boolean converged, long dirtyPages, Duration estimatedDowntime) throws Exception;
    }

    /**
     * What a pre-copy did. Immutable.
     *
     * @param rounds            every round, the final one last
     * @param converged         false if the switch-over was forced by the round limit
     * @param estimatedDowntime the final round's duration as estimated before it ran
     * @param downtime          the final round's actual duration (the source was paused)
     */
    public record Result(List<RoundStats> rounds, boolean converged, Duration estimatedDowntime, Duration downtime) {
        /** Copies the list. */
        public Result {
            rounds = List.copyOf(rounds);
        }

        /** The final round's statistics. */
        public RoundStats finalRound() {
            return rounds.get(rounds.size() - 1);
        }
    }

    private final RamSaver saver;
    private final List<DirtyBitmap> bitmaps;
    private final int maxRounds;
    private final long threshold;
    private final Duration downtimeTarget;
    private final boolean failIfNotConverged;
    private final Pause pause;

    private PreCopy(Builder b) {
        this.saver = b.saver;
        this.bitmaps = b.bitmaps;
        this.maxRounds = b.maxRounds;
        this.threshold = b.threshold;
        this.downtimeTarget = b.downtimeTarget;
        this.failIfNotConverged = b.failIfNotConverged;
        this.pause = Objects.requireNonNull(b.pause, "pause callback");
    }

    /**
     * Starts building a driver.
     *
     * @param saver   the saver, opened on the session before it connected
     * @param bitmaps one dirty bitmap per block the writers change (blocks without a bitmap are
     *                sent once, in round 1: they must not change during the migration)
     * @return a builder
     */
    public static Builder builder(RamSaver saver, List<DirtyBitmap> bitmaps) {
        return new Builder(saver, bitmaps);
    }

    /**
     * Runs every round up to and including the final one. The session must be connected.
     *
     * @return what the rounds did
     * @throws NotConvergedException if the limit was hit and the product asked to fail
     * @throws IOException           from the session, or if the pause callback failed
     */
    public Result run() throws IOException {
        List<RoundStats> rounds = new ArrayList<>();
        RoundStats last = saver.saveAll(bitmaps);
        rounds.add(last);
        boolean converged;
        Duration estimate;
        while (true) {
            long dirty = dirtyPages();
            estimate = estimate(last, dirty);
            converged = dirty <= threshold || estimate.compareTo(downtimeTarget) <= 0;
            if (converged || rounds.size() >= maxRounds - 1) {
                break;
            }
            last = saver.saveDirty(bitmaps);
            rounds.add(last);
        }
        long dirty = dirtyPages();
        if (!converged && failIfNotConverged) {
            throw new NotConvergedException(rounds.size(), dirty, estimate);
        }
        try {
            pause.pause(converged, dirty, estimate);
        } catch (IOException e) {
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            InterruptedIOException x = new InterruptedIOException("interrupted while pausing the writers");
            x.initCause(e);
            throw x;
        } catch (Exception e) {
            throw new IOException("the pause callback failed: " + e, e);
        }
        RoundStats fin = saver.saveFinal(bitmaps);
        rounds.add(fin);
        return new Result(rounds, converged, estimate, fin.elapsed());
    }

    private long dirtyPages() {
        long d = 0;
        for (DirtyBitmap b : bitmaps) {
            d += b.count();
        }
        return d;
    }

    private static Duration estimate(RoundStats last, long dirty) {
        if (dirty == 0) {
            return Duration.ZERO;
        }
        if (last.items() == 0) {
            return last.elapsed();
        }
        double perPage = (double) last.elapsed().toNanos() / last.items();
        return Duration.ofNanos((long) Math.min(Long.MAX_VALUE / 2.0, perPage * dirty));
    }

    /**
     * Configures a {@link PreCopy}. Not thread-safe.
     */
    public static final class Builder {
        private final RamSaver saver;
        private final List<DirtyBitmap> bitmaps;
        private int maxRounds = 30;
        private long threshold = 0;
        private Duration downtimeTarget = Duration.ofMillis(300);
        private boolean failIfNotConverged;
        private Pause pause;

        private Builder(RamSaver saver, List<DirtyBitmap> bitmaps) {
            this.saver = Objects.requireNonNull(saver, "saver");
            this.bitmaps = List.copyOf(Objects.requireNonNull(bitmaps, "bitmaps"));
        }

        /**
         * The most rounds, the final one included. Default 30.
         *
         * @param rounds at least 2
         * @return this builder
         */
        public Builder maxRounds(int rounds) {
            if (rounds < 2) {
                throw new IllegalArgumentException("maxRounds must be at least 2: " + rounds);
            }
            this.maxRounds = rounds;
            return this;
        }

        /**
         * Converged when at most this many pages are dirty after a round. Default 0.
         *
         * @param pages at least 0
         * @return this builder
         */
        public Builder dirtyPageThreshold(long pages) {
            if (pages < 0) {
                throw new IllegalArgumentException("dirtyPageThreshold must not be negative: " + pages);
            }
            this.threshold = pages;
            return this;
        }

        /**
         * Converged when the final round is estimated to take at most this long. Default 300 ms
         * (QEMU's default downtime limit). {@link Duration#ZERO} relies on the page threshold only.
         *
         * @param target not negative
         * @return this builder
         */
        public Builder downtimeTarget(Duration target) {
            if (Objects.requireNonNull(target, "downtimeTarget").isNegative()) {
                throw new IllegalArgumentException("downtimeTarget must not be negative: " + target);
            }
            this.downtimeTarget = target;
            return this;
        }

        /**
         * At the round limit without converging: fail with {@link NotConvergedException} (true)
         * instead of switching over anyway (false, the default).
         *
         * @param fail true to fail
         * @return this builder
         */
        public Builder failIfNotConverged(boolean fail) {
            this.failIfNotConverged = fail;
            return this;
        }

        /**
         * The callback that stops the writers before the final round. Required.
         *
         * @param pause the callback
         * @return this builder
         */
        public Builder pause(Pause pause) {
            this.pause = Objects.requireNonNull(pause, "pause");
            return this;
        }

        /**
         * Returns the driver.
         *
         * @return the driver
         * @throws IllegalStateException if no {@link #pause(PreCopy.Pause) pause callback} was given
         */
        public PreCopy build() {
            if (pause == null) {
                throw new IllegalStateException("PreCopy needs a pause callback: builder.pause((converged, dirtyPages, "
                        + "estimate) -> { stop the writers }) before build()");
            }
            return new PreCopy(this);
        }
    }
}
