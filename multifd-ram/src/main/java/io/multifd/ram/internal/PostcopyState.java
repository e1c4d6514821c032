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
package io.multifd.ram.internal;

import io.multifd.api.MigrationFailedException;
import io.multifd.api.spi.IncomingPacket;
import io.multifd.api.spi.ReturnPath;
import io.multifd.ram.RamBlock;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Consumer;

/**
 * The destination's side of a post-copy session: which pages are missing, which a post-copy
 * packet already claimed, which the application asked for, and the waits of the application's
 * threads until their pages arrive.
 *
 * <h2>States</h2>
 * Pre-copy (nothing missing) until the first missing-page map is applied; then
 * <em>switched</em>: maps mark pages missing, a later pre-copy page packet is malformed; then
 * <em>released</em> (the release marker, after a sync barrier behind every map): the application
 * may run and {@link #require} returns once its pages are present. Every post-copy page clears
 * its bit after its bytes were written; the migration completes only with no page missing.
 *
 * <h2>Threads</h2>
 * Channel threads apply maps, claims and arrivals (atomic bit operations, no lock; an arrival
 * wakes only the application threads whose pages it completed, see {@link PageWaits}). Application threads
 * call {@link #require}; any thread {@link #fail}s. A page's bytes are written before its bit is
 * cleared (a volatile write), and {@link #require} reads the bit (a volatile read) before
 * returning, so the application sees the bytes.
 */
public final class PostcopyState {

    /** What the application side is told. */
    public interface Events {
        /** The destination was released (channel thread). */
        void released();

        /**
         * The migration failed, or ended with pages missing (any thread).
         *
         * @param cause the cause
         */
        void failed(Throwable cause);

        /**
         * The session broke after the release: the post-copy is paused until a new session
         * resumes it (any thread).
         *
         * @param cause why the session broke
         */
        default void paused(Throwable cause) {
        }
    }

    private final RamBlock[] blocks;
    private final AtomicLongArray[] missing;
    private final AtomicLongArray[] claimed;
    private final AtomicLongArray[] requested;
    private volatile ReturnPath path;
    private volatile Consumer<Throwable> failMigration;
    private final Events events;
    private final PageWaits waits = new PageWaits(this::allPresent);
    private final AtomicLong missingPages = new AtomicLong();
    private final AtomicLong requestMessages = new AtomicLong();
    private final AtomicLong requestedPages = new AtomicLong();
    private final AtomicLong appliedPages = new AtomicLong();
    /** Each channel thread's APPLIED message, reused (the return path reads it during the call only). */
    private final ThreadLocal<ByteBuffer> appliedMessage = ThreadLocal.withInitial(() ->
            ByteBuffer.allocate(RamReturnMessages.MESSAGE_FIXED + 8).put(0, (byte) RamReturnMessages.KIND_APPLIED));
    private final LatencyLog latencies = new LatencyLog();
    private volatile boolean switched;
    private final ReleaseOrder releaseOrder = new ReleaseOrder();
    private volatile boolean released;
    private volatile Throwable failure;
    /** The session broke after the release; a new session may resume. */
    private volatile boolean paused;
    private volatile Throwable pauseCause;
    /** A resumed session: set by {@link #resume}, until the resume marker was answered. */
    private volatile boolean resuming;

    /**
     * @param blocks        the destination blocks, in the setup record's order
     * @param path          the session's return path for RAM messages
     * @param failMigration fails the migration (a request that cannot be sent)
     * @param events        told about the release and failures
     */
    public PostcopyState(RamBlock[] blocks, ReturnPath path, Consumer<Throwable> failMigration, Events events) {
        this.blocks = blocks.clone();
        this.path = path;
        this.failMigration = failMigration;
        this.events = events;
        int n = blocks.length;
        this.missing = new AtomicLongArray[n];
        this.claimed = new AtomicLongArray[n];
        this.requested = new AtomicLongArray[n];
        for (int i = 0; i < n; i++) {
            int words = words(blocks[i].pageCount());
            missing[i] = new AtomicLongArray(words);
            claimed[i] = new AtomicLongArray(words);
            requested[i] = new AtomicLongArray(words);
        }
    }

    private static int words(long pages) {
        long w = (pages + 63) >>> 6;
        if (w > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a block of " + pages + " pages is too large for post-copy");
        }
        return (int) w;
    }

    // ------------------------------------------------------------------ channel threads

    /** True once a map or the release was applied: pre-copy page packets are refused from then on. */
    public boolean switched() {
        return switched;
    }

    /**
     * Applies part of a block's missing-page map. Channel thread.
     *
     * @param packet the packet, for errors
     * @param block  the block's index
     * @param h      the payload header
     * @param at     where the map's entries start in {@code h}: the first word index, then the words
     * @param words  the number of words
     * @throws IOException a malformed-packet error naming {@code ram.missing.*}
     */
    public void applyMap(IncomingPacket packet, int block, ByteBuffer h, int at, int words) throws IOException {
        if (released) {
            throw packet.malformed("ram.flags", "MISSING", "a missing-page map after the release");
        }
        AtomicLongArray m = missing[block];
        long first = h.getLong(at);
        if (first < 0 || first > m.length() || words > m.length() - first) {
            throw packet.malformed("ram.missing.firstWord", Long.toUnsignedString(first), words + " words from there pass the end of block '"
                    + blocks[block].name() + "' (" + m.length() + " bitmap words)");
        }
        long pages = blocks[block].pageCount();
        int lastWord = m.length() - 1;
        long tailMask = (pages & 63) == 0 ? -1L : (1L << (pages & 63)) - 1;
        for (int i = 0; i < words; i++) {
            long w = h.getLong(at + 8 + 8 * i);
            if (first + i == lastWord && (w & ~tailMask) != 0) {
                throw packet.malformed("ram.missing.words", Long.toHexString(w), "names pages past the end of block '"
                        + blocks[block].name() + "' (" + pages + " pages)");
            }
        }
        switched = true;
        releaseOrder.map(packet.epoch());
        for (int i = 0; i < words; i++) {
            long w = h.getLong(at + 8 + 8 * i);
            if (w != 0) {
                long old = m.getAndAccumulate((int) first + i, w, (a, b) -> a | b);
                missingPages.addAndGet(Long.bitCount(w & ~old));
            }
        }
    }

    /**
     * Notes the epoch of a pre-copy page packet as it begins; see {@link ReleaseOrder}. Channel
     * thread, before the packet's switched check.
     *
     * @param epoch the packet's epoch
     */
    public void precopyPacket(long epoch) {
        releaseOrder.precopyPacket(epoch);
    }

    /**
     * Applies the release marker: the destination may run. Channel thread.
     *
     * <p>Refused when too early: see {@link ReleaseOrder}.
     *
     * @param packet   the packet, for errors
     * @param received per block the pages that arrived in this session, or null if not tracked
     * @throws IOException a malformed-packet error if released already, too early, or with pages
     *                     neither arrived nor missing; or if the sender cannot be told (the
     *                     migration fails)
     */
    public void release(IncomingPacket packet, PageBitmap[] received) throws IOException {
        if (released) {
            throw packet.malformed("ram.flags", "RELEASE", "a second release marker");
        }
        switched = true; // first: a pre-copy packet that begins from now on is refused
        releaseOrder.check(packet, blocks, missing, received);
        released = true;
        signal();
        events.released();
        path.send(ByteBuffer.allocate(RamReturnMessages.MESSAGE_FIXED).put(0, (byte) RamReturnMessages.KIND_RELEASED));
    }

    /**
     * Claims a page for the post-copy packet that carries it. Channel thread.
     *
     * @param block the block's index
     * @param page  the page index (checked by the caller)
     * @return false if the page is not missing, or another packet claimed it already
     */
    public boolean claim(int block, long page) {
        int w = (int) (page >>> 6);
        long bit = 1L << page;
        if ((missing[block].get(w) & bit) == 0) {
            return false;
        }
        AtomicLongArray c = claimed[block];
        while (true) {
            long old = c.get(w);
            if ((old & bit) != 0) {
                return false;
            }
            if (c.compareAndSet(w, old, old | bit)) {
                return true;
            }
        }
    }

    /**
     * Marks pages present after their bytes were written, and wakes the application threads
     * waiting for pages. Channel thread.
     *
     * @param block   the block's index
     * @param offsets page offsets
     * @param n       how many of them
     * @param shift   the block's page shift
     */
    public void arrived(int block, long[] offsets, int n, int shift) {
        AtomicLongArray m = missing[block];
        for (int i = 0; i < n; i++) {
            long page = offsets[i] >>> shift;
            long bit = 1L << page;
            long old = m.getAndAccumulate((int) (page >>> 6), bit, (a, b) -> a & ~b);
            if ((old & bit) != 0) {
                missingPages.decrementAndGet();
            }
        }
        waits.wakeComplete(block);
        long before = appliedPages.getAndAdd(n);
        long after = before + n;
        if (before / RamReturnMessages.APPLIED_EVERY != after / RamReturnMessages.APPLIED_EVERY) {
            try {
                path.send(appliedMessage.get().putLong(RamReturnMessages.MESSAGE_FIXED, after));
            } catch (IOException | RuntimeException e) {
                failMigration.accept(e);
            }
        }
    }

    /** Pages missing now. Any thread. */
    public long missingPages() {
        return missingPages.get();
    }

    /**
     * Ends the session: every page must be present. Coordinating thread, after every channel's end of stream.
     *
     * @return null, or a reason naming the first block with missing pages
     */
    public String checkComplete() {
        if (missingPages.get() == 0) {
            return null;
        }
        for (int i = 0; i < blocks.length; i++) {
            AtomicLongArray m = missing[i];
            for (int w = 0; w < m.length(); w++) {
                long bits = m.get(w);
                if (bits != 0) {
                    long page = ((long) w << 6) + Long.numberOfTrailingZeros(bits);
                    return "ram: block '" + blocks[i].name() + "': " + missingPages.get() + " page(s) still missing at the "
                            + "end of the post-copy stream (first: page " + page + ")";
                }
            }
        }
        return null;
    }

    /**
     * The migration failed: wakes every waiting application thread with the cause. Any thread.
     *
     * @param cause the cause
     */
    public void fail(Throwable cause) {
        if (released && failure == null) { // the destination runs: keep its pages, wait for a new session
            pauseCause = cause;
            paused = true;
            signal();
            events.paused(cause);
            return;
        }
        if (failure == null) {
            failure = cause;
        }
        signal();
        events.failed(cause);
    }

    /**
     * Gives up the post-copy: every waiting and later {@link #require} fails. A running session
     * is failed too, with the same cause, so that the receiver does not report success and the
     * source stops sending and is told why; a paused one has no session left. Any thread.
     *
     * @param cause the reason
     */
    public void cancel(Throwable cause) {
        boolean running = !paused;
        if (failure == null) {
            failure = cause;
        }
        paused = false;
        signal();
        events.failed(cause);
        Consumer<Throwable> f = failMigration;
        if (running && f != null) {
            f.accept(cause);
        }
    }

    /** Why the post-copy was given up ({@link #cancel}) or failed, or null. Any thread. */
    public Throwable failure() {
        return failure;
    }

    /** True while the post-copy is paused (its session broke after the release). */
    public boolean paused() {
        return paused;
    }

    /** Why the post-copy paused, or null. */
    public Throwable pauseCause() {
        return pauseCause;
    }

    /**
     * Attaches a new session to a paused post-copy: its return path, its failure callback. The
     * previous session's claims and requests are forgotten (pages in flight when it broke are
     * still missing and will be sent again). Manifest thread of the new session.
     *
     * @param newPath the new session's return path
     * @param fail    fails the new session
     * @throws IllegalStateException if the post-copy is not paused, or was cancelled
     */
    public void resume(ReturnPath newPath, Consumer<Throwable> fail) {
        if (failure != null) {
            throw new IllegalStateException("the post-copy was given up: " + failure);
        }
        if (!paused) {
            throw new IllegalStateException("the post-copy is not paused");
        }
        for (int b = 0; b < blocks.length; b++) {
            AtomicLongArray c = claimed[b];
            for (int w = 0; w < c.length(); w++) {
                c.set(w, 0);
            }
        }
        this.path = newPath;
        this.failMigration = fail;
        this.appliedPages.set(0); // the new session's sender counts its window from 0
        this.resuming = true;
        this.paused = false;
    }

    /**
     * Applies the resume marker of a resumed session: sends the missing-page bitmap, then asks
     * again for the pages application threads are waiting for. Channel thread.
     *
     * @param packet the packet, for errors
     * @throws IOException a malformed-packet error if this session is not a resumed one or the
     *                     marker came twice; or if the sender cannot be told
     */
    public void answerResume(IncomingPacket packet) throws IOException {
        if (!resuming) {
            throw packet.malformed("ram.flags", "RESUME", "a resume marker outside a resumed post-copy session, or twice");
        }
        resuming = false;
        ReturnPath p = path;
        for (int b = 0; b < blocks.length; b++) {
            AtomicLongArray m = missing[b];
            int w = 0;
            while (w < m.length()) {
                if (m.get(w) == 0) {
                    w++;
                    continue;
                }
                int n = Math.min(RamReturnMessages.BITMAP_WORDS, m.length() - w);
                ByteBuffer msg = ByteBuffer.allocate(RamReturnMessages.BITMAP_FIXED + 8 * n);
                msg.put((byte) RamReturnMessages.KIND_BITMAP).put((byte) 0).putShort((short) b).putInt(n).putLong(w);
                for (int i = 0; i < n; i++) {
                    msg.putLong(m.get(w + i));
                }
                p.send(msg.flip());
                w += n;
            }
        }
        p.send(ByteBuffer.allocate(RamReturnMessages.MESSAGE_FIXED + 8).put(0, (byte) RamReturnMessages.KIND_BITMAP_DONE).putLong(RamReturnMessages.MESSAGE_FIXED, missingPages.get()));
        for (int b = 0; b < blocks.length; b++) { // the requests the broken session lost
            AtomicLongArray r = requested[b];
            for (int w = 0; w < r.length(); w++) {
                r.set(w, 0);
            }
        }
        signal(); // waiting require calls ask again (see awaitUntil)
    }

    /** Wakes every waiting thread (release, failure, pause, resume). */
    private void signal() {
        waits.wakeAll();
    }

    // ------------------------------------------------------------------ application threads

    /** True once the destination was released. */
    public boolean released() {
        return released;
    }

    /**
     * Whether a page is present (not missing). Any thread; one volatile read.
     *
     * @param block the block's index
     * @param page  the page index
     * @return true if present
     */
    public boolean present(int block, long page) {
        return (missing[block].get((int) (page >>> 6)) & (1L << page)) == 0;
    }

    /**
     * Returns once the destination was released and every page of the range is present, asking
     * the sender for the missing ones that nobody asked for yet. Application threads.
     *
     * @param block        the block's index
     * @param firstPage    the first page
     * @param lastPage     the last page (inclusive)
     * @param timeoutNanos the longest wait
     * @throws MigrationFailedException if the migration failed (before or during the wait)
     * @throws java.io.InterruptedIOException if interrupted
     * @throws IOException if the pages did not arrive within the timeout
     */
    public void require(int block, long firstPage, long lastPage, long timeoutNanos) throws IOException {
        if (released && allPresent(block, firstPage, lastPage)) {
            return;
        }
        PostcopyWaitEvent event = new PostcopyWaitEvent();
        event.begin();
        long t0 = System.nanoTime();
        long deadline = t0 + timeoutNanos;
        if (!released) {
            awaitUntil(() -> released, null, -1, 0, 0, deadline, timeoutNanos, "the release of the destination");
        }
        if (allPresent(block, firstPage, lastPage)) {
            return;
        }
        try {
            ask(block, firstPage, lastPage);
        } catch (IOException e) {
            // the session is breaking or ending: the pages arrive, the post-copy pauses (and the
            // resumed session's wait asks again), or the migration fails; the wait below sees which
        }
        awaitUntil(() -> allPresent(block, firstPage, lastPage), () -> askAgain(block, firstPage, lastPage), block,
                firstPage, lastPage, deadline, timeoutNanos,
                "pages " + firstPage + " to " + lastPage
                + " of block '" + blocks[block].name() + "'");
        latencies.add(System.nanoTime() - t0);
        if (event.shouldCommit()) {
            event.block = blocks[block].name();
            event.firstPage = firstPage;
            event.pages = lastPage - firstPage + 1;
            event.commit();
        }
    }

    /**
     * Before each wait of a require (without the waiters' lock): asks again for pages whose
     * request was lost with a broken session (the resume cleared their request bits); sends
     * nothing for pages already asked for.
     */
    private void askAgain(int block, long first, long last) {
        if (!paused && !resuming && released) {
            try {
                ask(block, first, last);
            } catch (IOException | RuntimeException e) {
                // the session is failing: the failure or the pause wakes this wait again
            }
        }
    }

    private boolean allPresent(int block, long first, long last) {
        AtomicLongArray m = missing[block];
        for (long p = first; p <= last; ) {
            int w = (int) (p >>> 6);
            long bits = m.get(w);
            long from = p & 63;
            long to = Math.min(63, last - (p - from));
            long mask = (to == 63 ? -1L : (1L << (to + 1)) - 1) & (-1L << from);
            if ((bits & mask) != 0) {
                return false;
            }
            p = ((long) w + 1) << 6;
        }
        return true;
    }

    /** Sends requests for the missing pages of the range that were not asked for yet. */
    private void ask(int block, long first, long last) throws IOException {
        AtomicLongArray m = missing[block];
        AtomicLongArray r = requested[block];
        ByteBuffer msg = null;
        int entries = 0;
        long runStart = -1;
        long runEnd = -1;
        for (long p = first; p <= last + 1; p++) {
            boolean take = false;
            if (p <= last) {
                int w = (int) (p >>> 6);
                long bit = 1L << p;
                if ((m.get(w) & bit) != 0 && (r.getAndAccumulate(w, bit, (a, b) -> a | b) & bit) == 0) {
                    take = true;
                }
            }
            if (take && runStart >= 0 && p == runEnd + 1) {
                runEnd = p;
                continue;
            }
            if (runStart >= 0) {
                if (msg == null) {
                    msg = ByteBuffer.allocate(RamReturnMessages.MESSAGE_FIXED + RamReturnMessages.MAX_ENTRIES * RamReturnMessages.ENTRY);
                    msg.put((byte) RamReturnMessages.KIND_REQUEST).put((byte) 0).putShort((short) 0);
                }
                msg.putShort((short) block).putShort((short) 0).putInt((int) (runEnd - runStart + 1)).putLong(runStart);
                requestedPages.addAndGet(runEnd - runStart + 1);
                if (++entries == RamReturnMessages.MAX_ENTRIES) {
                    sendRequest(msg, entries);
                    msg = null;
                    entries = 0;
                }
                runStart = -1;
            }
            if (take) {
                runStart = p;
                runEnd = p;
            }
        }
        if (msg != null) {
            sendRequest(msg, entries);
        }
    }

    private void sendRequest(ByteBuffer msg, int entries) throws IOException {
        msg.putShort(2, (short) entries).flip();
        path.send(msg); // a channel that cannot write fails the migration on its own
        requestMessages.incrementAndGet();
    }

    private void awaitUntil(PageWaits.Check check, Runnable beforeWait, int block, long first, long last, long deadline,
                            long timeoutNanos, String what) throws IOException {
        waits.await(check, beforeWait, block, first, last, deadline, () -> {
            Throwable f = failure;
            if (f != null) {
                throw new MigrationFailedException("the migration failed while waiting for " + what, f);
            }
        }, () -> new IOException("post-copy: " + what + " did not arrive within "
                + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms"
                + (paused ? " (the post-copy is paused, waiting for a new session: " + pauseCause + ")" : "")), what);
    }

    /** Request messages sent. */
    public long requestMessages() {
        return requestMessages.get();
    }

    /** Pages asked for. */
    public long requestedPages() {
        return requestedPages.get();
    }

    /** The latencies of the {@link #require} calls that waited for pages. */
    public LatencyLog latencies() {
        return latencies;
    }
}
