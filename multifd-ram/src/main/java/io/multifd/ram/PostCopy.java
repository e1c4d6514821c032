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

import io.multifd.ram.internal.PostcopyEvent;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The post-copy driver: pre-copy rounds while the source runs, then a short pause in which the
 * destination gets the device state and the list of pages it must not use yet, then the
 * destination runs while every missing page streams in the background and the pages it asks for
 * go first. It finishes a migration that pre-copy cannot, because the source writes faster than
 * the link moves pages.
 *
 * <h2>Algorithm</h2>
 * <ol>
 *   <li>Round 1 sends every page ({@link RamSaver#saveAll(java.util.Collection)}), then dirty
 *       rounds until {@link Builder#afterRounds(int)} rounds ran (none with 0: every page is then
 *       missing at the switch-over) or at most
 *       {@link Builder#dirtyPageThreshold(long)} pages are dirty. In the second case pre-copy
 *       converged: the writers are paused and a final round ends the migration as
 *       {@link PreCopy} would ({@link Result#postcopy()} is false).</li>
 *   <li>Switch-over: the {@linkplain Builder#pause pause callback} stops the writers; the dirty
 *       bits become the set of pages the destination does not have (its copy is stale or
 *       missing), sent as missing-page maps; the {@linkplain Builder#switchover switch-over
 *       callback} sends the device state; a sync makes every channel deliver all of it; then the
 *       release marker lets the destination run.</li>
 *   <li>Post-copy: each missing page is sent exactly once, from a background cursor that walks
 *       the blocks, in packets of {@link Builder#backgroundPages(int)} pages. Pages the
 *       destination asks for (return-path requests) are sent first, on whichever channel frees
 *       first, and the cursor moves to just after them (locality: the next access is likely
 *       near). Requests for pages already sent cost nothing. At most
 *       {@link Builder#windowPages(int)} pages are in flight (sent, not yet reported applied),
 *       so a requested page never queues behind megabytes of background pages in the socket
 *       buffers.</li>
 * </ol>
 * {@link #run()} returns once every missing page was handed to a channel; <b>the owner then
 * calls {@code sender.finish()}</b>, which returns once the destination confirmed every page. Once
 * the destination was released the source's memory is stale: a failed post-copy cannot fall back
 * to the source (see the README on post-copy and its risks). So a session that breaks after the
 * release does not fail the post-copy: {@code run()} throws {@link PostcopyPausedException}, the
 * driver keeps the pages it has not sent, and {@link #resume(RamSaver)} goes on over a new session
 * (the destination, given the same {@link PostcopyAccess}, says which pages it still lacks).
 *
 * <h2>Threads</h2>
 * {@link #run()} runs on the calling thread (the saver's); both callbacks are called on it. The
 * source's writers run on their own threads and mark the dirty bitmaps until the pause.
 */
public final class PostCopy {

    /** Sends the device state at the switch-over. */
    @FunctionalInterface
    public interface Switchover {
        /**
         * Called once, with the writers paused and the missing-page maps handed to the channels,
         * before the sync that precedes the release. Send the device state here (for instance
         * with a {@code DeviceStateSaver} on the same session) and return once it was handed
         * over.
         *
         * @throws Exception anything; the driver throws it on as an IOException and releases nothing
         */
        void switchover() throws Exception;
    }

    /**
     * What a post-copy migration did. Immutable.
     *
     * @param rounds          the pre-copy rounds (with the final round if pre-copy converged)
     * @param postcopy        true if it switched to post-copy; false if pre-copy converged first
     * @param downtime        from the writers' pause until the destination reported its release
     *                        (post-copy), or the final round's duration (pre-copy)
     * @param missingPages    pages the destination did not have at the switch-over
     * @param requestedPages  missing pages sent because the destination asked for them
     * @param requests        request messages the destination sent
     * @param postcopyElapsed from the release marker until every missing page was handed over
     */
    public record Result(List<RoundStats> rounds, boolean postcopy, Duration downtime, long missingPages,
                         long requestedPages, long requests, Duration postcopyElapsed) {
        /** Copies the list. */
        public Result {
            rounds = List.copyOf(rounds);
        }
    }

    /** The smallest window: twice the destination's reporting interval. */
    public static final int MIN_WINDOW_PAGES = 2 * io.multifd.ram.internal.RamReturnMessages.APPLIED_EVERY;

    private final RamSaver saver;
    private final List<DirtyBitmap> bitmaps;
    private final PostcopyRequests requests;
    private final int afterRounds;
    private final long threshold;
    private final PreCopy.Pause pause;
    private final Switchover switchover;
    private final int backgroundPages;
    private final int windowPages;
    private final boolean prioritize;
    // the post-copy phase, kept for resume(): the stream is set once the release went out
    private volatile PostcopyStream stream;
    private long pausedAtNanos;
    private long missingAtSwitchover;
    private volatile long destinationMissing; // as the destination last told: the maps, then each resume's bitmap
    private Duration downtime = Duration.ZERO;
    private final List<RoundStats> rounds = new ArrayList<>();

    private PostCopy(Builder b) {
        this.saver = b.saver;
        this.bitmaps = b.bitmaps;
        this.requests = b.saver.postcopyRequests();
        this.afterRounds = b.afterRounds;
        this.threshold = b.threshold;
        this.pause = Objects.requireNonNull(b.pause, "pause callback");
        this.switchover = b.switchover;
        this.backgroundPages = b.backgroundPages;
        this.windowPages = b.windowPages;
        this.prioritize = b.prioritize;
    }

    /**
     * Starts building a driver.
     *
     * @param saver   a saver opened with {@link RamSaver#openForPostcopy}, on a connected session
     * @param bitmaps one dirty bitmap per block the writers change (blocks without one are sent
     *                once, in round 1, and must not change)
     * @return a builder
     * @throws IllegalArgumentException if the saver was not opened for post-copy
     */
    public static Builder builder(RamSaver saver, List<DirtyBitmap> bitmaps) {
        if (saver.postcopyRequests() == null) {
            throw new IllegalArgumentException("the saver was not opened for post-copy: use RamSaver.openForPostcopy");
        }
        return new Builder(saver, bitmaps);
    }

    /**
     * Runs the pre-copy rounds, the switch-over and the post-copy stream.
     *
     * @return what it did
     * @throws IOException from the session, from a callback, or if the destination applied no
     *                     post-copy page for the session's I/O timeout
     */
    public Result run() throws IOException {
        if (!rounds.isEmpty() || stream != null) {
            throw new IllegalStateException("run() was called already; after a pause use resume()");
        }
        if (afterRounds > 0) {
            rounds.add(saver.saveAll(bitmaps));
            while (dirtyPages() > threshold && rounds.size() < afterRounds) {
                rounds.add(saver.saveDirty(bitmaps));
            }
        }
        long dirty = dirtyPages();
        boolean converged = afterRounds > 0 && dirty <= threshold;
        PostcopyEvent event = new PostcopyEvent();
        event.begin();
        call(() -> pause.pause(converged, dirty, Duration.ZERO), "pause");
        long pausedAt = System.nanoTime();
        if (converged) {
            RoundStats fin = saver.saveFinal(bitmaps);
            rounds.add(fin);
            return new Result(rounds, false, fin.elapsed(), 0, 0, 0, Duration.ZERO);
        }
        PostcopyStream s = new PostcopyStream(saver, requests, bitmaps, afterRounds == 0, backgroundPages,
                windowPages, prioritize);
        long missing = s.sendMaps();
        if (switchover != null) {
            call(switchover::switchover, "switch-over");
        }
        saver.sync(); // maps and device state applied on every channel before the release
        s.release();
        long releasedSent = System.nanoTime();
        this.stream = s; // from here on the destination may run: a failure pauses, resume() goes on
        this.pausedAtNanos = pausedAt;
        this.missingAtSwitchover = missing;
        this.destinationMissing = missing;
        long stall = saver.session().config().ioTimeout().toNanos();
        try {
            s.run(stall);
            requests.awaitReleased(stall);
        } catch (IOException e) {
            throw new PostcopyPausedException(e, missing);
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - releasedSent);
        long releasedAt = requests.releasedAtNanos();
        downtime = Duration.ofNanos((releasedAt == 0 ? releasedSent : releasedAt) - pausedAt);
        Result result = new Result(rounds, true, downtime, missing, s.requestedPages(), requests.requests(), elapsed);
        record(event, saver, false, result); // the same figures: requests may still arrive meanwhile
        return result;
    }

    /**
     * True once the release marker was handed to the session: from then on the destination may
     * run, a broken session pauses the post-copy, and {@link #resume} is the way on. Any thread.
     *
     * @return whether released
     */
    public boolean released() {
        return stream != null;
    }

    /**
     * The pages the destination lacked when it last said so: at the switch-over (the missing-page
     * maps), then at each {@link #resume} (its bitmap, which also counts pages lost in flight when
     * a session broke). A smaller count at a later resume means the sessions in between moved
     * pages: a caller that retries resumes can take it as progress. Any thread.
     *
     * @return the count, 0 before the switch-over
     */
    public long destinationMissingPages() {
        return destinationMissing;
    }

    /**
     * Resumes a post-copy whose session broke after the release ({@link #run()} or a later
     * {@code resume} threw {@link PostcopyPausedException}, or {@code finish()} failed
     * afterwards), over a new session: the destination (whose receiver was given the same
     * {@link PostcopyAccess}) answers with the bitmap of the pages it still lacks, pages in flight
     * when the old session broke included, and the stream sends those, requested ones first. The
     * owner then calls {@code finish()} on the new session. May be called again after another
     * break.
     *
     * @param resumed a saver opened with {@link RamSaver#openForPostcopyResume} on the new,
     *                connected session, with the same blocks
     * @return what the post-copy did in all; {@code missingPages} is the destination's count at
     *         the switch-over, {@code requests} and {@code requestedPages} are this session's
     * @throws IllegalStateException    if the destination was never released (nothing to resume:
     *                                  the source's memory is still current)
     * @throws IllegalArgumentException if the saver was not opened to resume
     * @throws PostcopyPausedException  if the new session breaks too
     * @throws IOException              if the destination sends no bitmap in time
     */
    public Result resume(RamSaver resumed) throws IOException {
        if (stream == null) {
            throw new IllegalStateException("nothing to resume: the destination was never released");
        }
        if (!resumed.resumes()) {
            throw new IllegalArgumentException("the saver was not opened with RamSaver.openForPostcopyResume");
        }
        PostcopyEvent event = new PostcopyEvent();
        event.begin();
        long start = System.nanoTime();
        long requestedBefore = stream.requestedPages(); // the stream counts over every session
        long stall = resumed.session().config().ioTimeout().toNanos();
        try {
            destinationMissing = stream.resume(resumed, stall);
            stream.run(stall);
        } catch (IOException e) {
            throw new PostcopyPausedException(e, missingAtSwitchover);
        }
        PostcopyRequests r = resumed.postcopyRequests();
        Result result = new Result(rounds, true, downtime, missingAtSwitchover,
                stream.requestedPages() - requestedBefore, r.requests(),
                Duration.ofNanos(System.nanoTime() - start));
        record(event, resumed, true, result);
        return result;
    }

    private static void record(PostcopyEvent event, RamSaver on, boolean resumed, Result result) {
        if (event.shouldCommit()) {
            event.session = String.valueOf(on.session().sessionId());
            event.resumed = resumed;
            event.downtime = result.downtime().toNanos();
            event.missingPages = result.missingPages();
            event.requestedPages = result.requestedPages();
            event.requests = result.requests();
            event.commit();
        }
    }

    private interface Step {
        void run() throws Exception;
    }

    private static void call(Step step, String what) throws IOException {
        try {
            step.run();
        } catch (IOException e) {
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            InterruptedIOException x = new InterruptedIOException("interrupted in the " + what + " callback");
            x.initCause(e);
            throw x;
        } catch (Exception e) {
            throw new IOException("the " + what + " callback failed: " + e, e);
        }
    }

    private long dirtyPages() {
        long d = 0;
        for (DirtyBitmap b : bitmaps) {
            d += b.count();
        }
        return d;
    }

    /** Configures a {@link PostCopy}. Not thread-safe. */
    public static final class Builder {
        private final RamSaver saver;
        private final List<DirtyBitmap> bitmaps;
        private int afterRounds = 2;
        private long threshold;
        private PreCopy.Pause pause;
        private Switchover switchover;
        private int backgroundPages = 128;
        private int windowPages = 512;
        private boolean prioritize = true;

        private Builder(RamSaver saver, List<DirtyBitmap> bitmaps) {
            this.saver = Objects.requireNonNull(saver, "saver");
            this.bitmaps = List.copyOf(Objects.requireNonNull(bitmaps, "bitmaps"));
        }

        /**
         * Pre-copy rounds before the switch-over, round 1 included. Default 2. 0 switches over
         * at once: every page is missing at the destination and sent exactly once by the
         * post-copy stream (the least data on the wire; the destination runs from the start).
         *
         * @param rounds at least 0
         * @return this builder
         */
        public Builder afterRounds(int rounds) {
            if (rounds < 0) {
                throw new IllegalArgumentException("afterRounds must not be negative: " + rounds);
            }
            this.afterRounds = rounds;
            return this;
        }

        /**
         * Pre-copy converged when at most this many pages are dirty after a round: then it ends
         * with a final round instead of post-copy. Default 0.
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
         * The callback that stops the writers at the switch-over. Required.
         *
         * @param pause the callback
         * @return this builder
         */
        public Builder pause(PreCopy.Pause pause) {
            this.pause = Objects.requireNonNull(pause, "pause");
            return this;
        }

        /**
         * The callback that sends the device state during the switch-over. Default none.
         *
         * @param switchover the callback
         * @return this builder
         */
        public Builder switchover(Switchover switchover) {
            this.switchover = Objects.requireNonNull(switchover, "switchover");
            return this;
        }

        /**
         * Pages per background packet in the post-copy phase, at most the saver's batch. Default
         * 128 (512 KiB of 4 KiB pages, the default batch): measured on 2 vCPUs, smaller packets
         * cost more in per-packet work than they save in a requested page's wait (section 16 of
         * the performance notes).
         *
         * @param pages 1 to the saver's batch
         * @return this builder
         */
        public Builder backgroundPages(int pages) {
            if (pages < 1) {
                throw new IllegalArgumentException("backgroundPages must be at least 1: " + pages);
            }
            this.backgroundPages = pages;
            return this;
        }

        /**
         * Post-copy pages in flight at most (sent, not yet reported applied by the destination);
         * 0 for no limit. Default 512 (2 MiB of 4 KiB pages). Requested pages are sent even when
         * the window is full. The destination reports every {@value #MIN_WINDOW_PAGES} / 2 pages,
         * so a window holds at least {@value #MIN_WINDOW_PAGES}.
         *
         * @param pages 0, or at least {@value #MIN_WINDOW_PAGES}
         * @return this builder
         */
        public Builder windowPages(int pages) {
            if (pages != 0 && pages < MIN_WINDOW_PAGES) {
                throw new IllegalArgumentException("windowPages must be 0 (no limit) or at least " + MIN_WINDOW_PAGES
                        + ": " + pages);
            }
            this.windowPages = pages;
            return this;
        }

        /**
         * Whether requested pages go ahead of the background stream (default true). False is the
         * negative control of the benchmarks: requests only move the background cursor, so the
         * requested pages leave in the next background packet, behind everything already queued
         * (and, with {@code windowPages(0)}, behind whatever the socket buffers hold).
         *
         * @param on false to serve requests in the background order
         * @return this builder
         */
        public Builder prioritizeRequests(boolean on) {
            this.prioritize = on;
            return this;
        }

        /**
         * Returns the driver.
         *
         * @return the driver
         * @throws IllegalStateException if no {@link #pause(PreCopy.Pause) pause callback} was given
         */
        public PostCopy build() {
            if (pause == null) {
                throw new IllegalStateException("PostCopy needs a pause callback: builder.pause((converged, dirtyPages, "
                        + "estimate) -> { stop the writers }) before build()");
            }
            return new PostCopy(this);
        }
    }
}
