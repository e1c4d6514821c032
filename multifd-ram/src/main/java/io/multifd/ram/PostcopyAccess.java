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

import io.multifd.api.MigrationFailedException;
import io.multifd.api.SetupRefusedException;
import io.multifd.api.spi.ReturnPath;
import io.multifd.ram.internal.LatencyLog;
import io.multifd.ram.internal.PostcopyState;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * The destination application's access to its memory during a post-copy migration: the
 * destination runs before every page arrived, and each access to guest memory first makes sure
 * the pages it touches are there.
 *
 * <pre>{@code
 * PostcopyAccess access = new PostcopyAccess();
 * MultiFdReceiver receiver = MultiFdReceiver.builder(config, listener)
 *         .payload(RamPayload.builder().destination(RamDestination.of(ram)).postcopy(access).build())
 *         .build().start();
 * access.awaitRelease(Duration.ofMinutes(10));   // the source paused and handed over: run
 * // in the emulator's memory accessor, before touching [offset, offset + length) of ram:
 * access.require(ram, offset, length);           // a bitmap read when the pages are there
 * }</pre>
 *
 * <h2>What it promises</h2>
 * Until the release, {@link #require} waits for it. After the release, {@code require} returns at
 * once when every page of the range is present (one volatile read per 64 pages); otherwise it
 * asks the source for the missing pages nobody asked for yet (a request on the return path of
 * any channel; the source serves requested pages ahead of its background stream) and waits until
 * they arrived. Once {@code require} returned, the pages stay present and the migration never
 * writes them again: the application owns them. It fails with the migration's cause if the
 * migration fails, and with an {@link IOException} if the pages do not arrive within the timeout
 * (the migration goes on). Pages not required still arrive through the background stream; the
 * receiver completes once all did. If the session breaks after the release, the post-copy
 * {@linkplain #isPaused() pauses}: the pages stay, waiting {@code require} calls go on waiting, and
 * a new receiver given this same access object resumes it when the source reconnects
 * ({@link PostCopy#resume}); {@link #cancel(String)} gives it up.
 *
 * <h2>Threads</h2>
 * Thread-safe: any number of application threads call {@link #require} at once. One access
 * serves one session: register it with one receiver's {@link RamPayload.Builder#postcopy}.
 */
public final class PostcopyAccess {

    /** What a state without an access object tells: nothing. */
    static final PostcopyState.Events NO_EVENTS = new PostcopyState.Events() {
        @Override
        public void released() {
        }

        @Override
        public void failed(Throwable cause) {
        }
    };

    /** The default wait of {@link #require(RamBlock, long, long)}: 30 seconds. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private final CompletableFuture<Void> released = new CompletableFuture<>();
    /** A cancel before any session attached: a session that attaches later is refused. Guarded by this. */
    private Throwable cancelledEarly;
    private volatile Throwable pausedBy;
    private volatile PostcopyState state;
    private volatile Map<RamBlock, Integer> index;
    private volatile List<RamBlock> blocks = List.of();

    /** Makes an access object; register it with a receiver's RAM payload before the session starts. */
    public PostcopyAccess() {
    }

    /** Called by the RAM payload when a post-copy session opens; once. */
    synchronized PostcopyState attach(RamBlock[] blocks, ReturnPath path, Consumer<Throwable> fail) {
        if (state != null) {
            throw new IllegalStateException("this PostcopyAccess already serves a session; make one per session");
        }
        if (cancelledEarly != null) {
            throw new IllegalStateException(cancelledEarly.getMessage() + " (before any session started)");
        }
        Map<RamBlock, Integer> map = new IdentityHashMap<>();
        for (int i = 0; i < blocks.length; i++) {
            map.put(blocks[i], i);
        }
        index = map;
        this.blocks = List.of(blocks);
        PostcopyState s = new PostcopyState(blocks, path, fail, new PostcopyState.Events() {
            @Override
            public void released() {
                released.complete(null);
            }

            @Override
            public void failed(Throwable cause) {
                released.completeExceptionally(cause);
            }

            @Override
            public void paused(Throwable cause) {
                pausedBy = cause;
            }
        });
        state = s;
        return s;
    }

    /**
     * Called by the RAM payload when a session resumes this paused post-copy: the announced
     * blocks must be the session's blocks (names, lengths, page sizes).
     */
    synchronized PostcopyState resume(RamBlock[] newBlocks, ReturnPath path, Consumer<Throwable> fail)
            throws SetupRefusedException {
        PostcopyState s = state;
        if (s == null || !s.paused()) {
            Throwable gaveUp = s == null ? cancelledEarly : s.failure();
            throw RamSetupRecord.refuse("flags", RamSetupRecord.FLAG_POSTCOPY | RamSetupRecord.FLAG_RESUME,
                    gaveUp != null ? "the destination gave this post-copy up (" + gaveUp.getMessage() + ")"
                            : s == null ? "the sender resumes a post-copy this receiver never started"
                            : "the sender resumes a post-copy that is not paused here");
        }
        List<RamBlock> old = blocks;
        for (int i = 0; i < Math.max(old.size(), newBlocks.length); i++) {
            RamBlock a = i < old.size() ? old.get(i) : null;
            RamBlock b = i < newBlocks.length ? newBlocks[i] : null;
            if (a == null || b == null || !a.name().equals(b.name()) || a.length() != b.length()
                    || a.pageSize() != b.pageSize()) {
                throw RamSetupRecord.refuse("name", b == null ? "(none)" : RamSetupRecord.shown(b.name()),
                        "a resumed post-copy must announce the blocks of the paused one, in the same order");
            }
        }
        try {
            s.resume(path, fail);
        } catch (IllegalStateException e) {
            throw RamSetupRecord.refuse("flags", RamSetupRecord.FLAG_POSTCOPY | RamSetupRecord.FLAG_RESUME, e.getMessage());
        }
        pausedBy = null;
        return s;
    }

    /**
     * True while the post-copy is paused: its session broke after the destination was released.
     * The destination keeps its pages and {@link #require} keeps waiting (up to its timeout)
     * until a new session resumes the post-copy (the source calls {@link PostCopy#resume}) or
     * {@link #cancel} gives it up.
     *
     * @return whether paused
     */
    public boolean isPaused() {
        PostcopyState s = state;
        return s != null && s.paused();
    }

    /** Why the post-copy paused (the broken session's first error), or null if it is not paused. */
    public Throwable pauseCause() {
        return isPaused() ? pausedBy : null;
    }

    /**
     * Gives up the post-copy on the destination, paused, running or not yet released: every
     * waiting and later {@link #require} for pages that are not present fails with a
     * {@link MigrationFailedException} naming the reason (pages already present stay readable).
     * A running session fails with the same reason: the receiver's {@code await} throws, and the
     * source's {@link PostCopy#run()} ends paused with the destination's reason as its cause (a
     * resume is refused, naming the reason). After the release, the pages that did not arrive
     * are lost: the destination's memory is incomplete and the source's copy is stale (the
     * destination ran); before the release the source's memory is still current. Before any
     * session started, a session that starts later is refused. Any thread; no effect once every
     * page arrived.
     *
     * @param reason why, for the exceptions
     */
    public void cancel(String reason) {
        java.util.concurrent.CancellationException cause =
                new java.util.concurrent.CancellationException("post-copy cancelled: " + reason);
        PostcopyState s;
        synchronized (this) {
            s = state;
            if (s == null) {
                if (cancelledEarly == null) {
                    cancelledEarly = cause;
                }
                released.completeExceptionally(cause); // wakes awaitRelease and require
                return;
            }
        }
        if (!s.released() || s.missingPages() > 0) {
            s.cancel(cause);
        }
    }

    /**
     * A future completed when the destination is released (the source paused, sent the device
     * state and the list of missing pages), or failed with the migration's cause.
     *
     * @return a new dependent future; cancelling it does not affect the migration
     */
    public CompletableFuture<Void> released() {
        return released.thenApply(v -> v);
    }

    /** True once the destination was released. Any thread. */
    public boolean isReleased() {
        return released.isDone() && !released.isCompletedExceptionally();
    }

    /**
     * Waits until the destination is released.
     *
     * @param timeout the longest wait
     * @return true once released, false if the timeout passed first
     * @throws MigrationFailedException if the migration failed before the release
     * @throws InterruptedIOException   if interrupted
     */
    public boolean awaitRelease(Duration timeout) throws IOException {
        Objects.requireNonNull(timeout, "timeout");
        try {
            released.get(nanos(timeout), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            throw new MigrationFailedException("the migration failed before the destination was released", e.getCause());
        } catch (java.util.concurrent.CancellationException e) { // cancel(): get() throws it as it is
            throw new MigrationFailedException("the post-copy was given up before the destination was released", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            InterruptedIOException x = new InterruptedIOException("interrupted while waiting for the release");
            x.initCause(e);
            throw x;
        }
    }

    /**
     * {@link #require(RamBlock, long, long, Duration)} with {@link #DEFAULT_TIMEOUT}.
     *
     * @param block  a destination block of the session
     * @param offset the first byte
     * @param length the bytes, at least 1
     * @throws IOException see the full form
     */
    public void require(RamBlock block, long offset, long length) throws IOException {
        require(block, offset, length, DEFAULT_TIMEOUT);
    }

    /**
     * Returns once the destination was released and every page overlapping
     * {@code [offset, offset + length)} of the block is present, asking the source for the missing
     * ones. Any application thread.
     *
     * @param block   a destination block of the session (the object the destination supplied)
     * @param offset  the first byte
     * @param length  the bytes, at least 1
     * @param timeout the longest wait (release and pages together)
     * @throws IllegalArgumentException  if the block is not one of the session's, or the timeout
     *                                   is negative
     * @throws IndexOutOfBoundsException if the range is not within the block
     * @throws MigrationFailedException  if the migration failed
     * @throws InterruptedIOException    if interrupted
     * @throws IOException               if the release or the pages did not come within the timeout
     */
    public void require(RamBlock block, long offset, long length, Duration timeout) throws IOException {
        Objects.requireNonNull(block, "block");
        if (Objects.requireNonNull(timeout, "timeout").isNegative()) {
            throw new IllegalArgumentException("timeout must not be negative: " + timeout);
        }
        Objects.checkFromIndexSize(offset, length, block.length()); // the caller's mistakes first, at once
        if (length == 0) {
            throw new IndexOutOfBoundsException("length must be at least 1");
        }
        long nanos = nanos(timeout);
        PostcopyState s = state;
        if (s == null || !s.released()) {
            long t0 = System.nanoTime();
            if (!awaitRelease(timeout)) {
                throw new IOException("post-copy: the destination was not released within " + timeout.toMillis() + " ms");
            }
            s = state;
            nanos -= System.nanoTime() - t0;
        }
        int idx = indexOf(block);
        int shift = Long.numberOfTrailingZeros(block.pageSize());
        s.require(idx, offset >>> shift, (offset + length - 1) >>> shift, Math.max(0, nanos));
    }

    /** A timeout in nanoseconds, a huge one (to mean "for ever") capped where deadlines cannot overflow. */
    private static long nanos(Duration timeout) {
        return timeout.compareTo(Duration.ofDays(3650)) > 0 ? Duration.ofDays(3650).toNanos() : timeout.toNanos();
    }

    /**
     * Whether the page holding {@code offset} is present. Any thread; a bitmap read.
     *
     * @param block  a destination block of the session
     * @param offset a byte of the block
     * @return true if present (or the migration has no post-copy state yet: nothing is missing)
     */
    public boolean isPresent(RamBlock block, long offset) {
        PostcopyState s = state;
        if (s == null) {
            return true;
        }
        Objects.checkIndex(offset, block.length());
        return s.present(indexOf(block), offset >>> Long.numberOfTrailingZeros(block.pageSize()));
    }

    private int indexOf(RamBlock block) {
        Map<RamBlock, Integer> m = index;
        Integer i = m == null ? null : m.get(block);
        if (i == null) {
            throw new IllegalArgumentException("block '" + block.name() + "' is not a destination block of this session");
        }
        return i;
    }

    /**
     * The destination blocks of the session, in the sender's order: the objects {@link #require}
     * takes.
     *
     * @return the blocks; empty before the session's manifest arrived
     */
    public List<RamBlock> blocks() {
        return blocks;
    }

    /** Pages missing now (0 before the switch-over and after the last page arrived). */
    public long missingPages() {
        PostcopyState s = state;
        return s == null ? 0 : s.missingPages();
    }

    /** Request messages sent to the source so far. */
    public long requests() {
        PostcopyState s = state;
        return s == null ? 0 : s.requestMessages();
    }

    /** Pages asked for so far. */
    public long requestedPages() {
        PostcopyState s = state;
        return s == null ? 0 : s.requestedPages();
    }

    /**
     * How long the {@link #require} calls that had to wait for pages waited, from the call to the
     * arrival of the last of their pages.
     *
     * @return the count and the percentiles so far
     */
    public Latency latency() {
        PostcopyState s = state;
        if (s == null) {
            return new Latency(0, Duration.ZERO, Duration.ZERO, Duration.ZERO);
        }
        LatencyLog.Summary l = s.latencies().summary();
        return new Latency(l.count(), Duration.ofNanos(l.p50Nanos()), Duration.ofNanos(l.p99Nanos()),
                Duration.ofNanos(l.maxNanos()));
    }

    /**
     * Latencies of the {@code require} calls that waited.
     *
     * @param count the calls that waited
     * @param p50   the median wait
     * @param p99   the 99th percentile
     * @param max   the longest
     */
    public record Latency(long count, Duration p50, Duration p99, Duration max) {
    }
}
