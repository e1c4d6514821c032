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

import io.multifd.api.SendData;
import io.multifd.api.SendSession;

import java.io.IOException;
import java.util.List;

/**
 * The source's post-copy phase for one session: the set of pages the destination does not have
 * (taken from the dirty bitmaps at the switch-over, each page sent exactly once from then on),
 * the missing-page maps and the release marker, and the stream of those pages: requested ranges
 * first, then the background cursor, paced by the destination's count of applied pages.
 *
 * <p>Confined to the thread running {@link PostCopy#run()}; it owns its two slots (requests and
 * background), which it swaps with idle channels like any client.
 */
final class PostcopyStream {

    private SendSession session;
    private RamPayload payload;
    private final List<RamBlock> blocks;
    private PostcopyRequests requests;
    private final long[][] pending;
    private final int backgroundPages;
    private final int windowPages;
    private final boolean prioritize;
    private SendData requestSlot;
    private SendData backgroundSlot;
    private long left;
    private long sent;
    private long requestedPages;
    // the background cursor
    private int cursorBlock;
    private long cursorPage;

    PostcopyStream(RamSaver saver, PostcopyRequests requests, List<DirtyBitmap> bitmaps, boolean everyPage,
                   int backgroundPages, int windowPages, boolean prioritize) {
        this.session = saver.session();
        this.payload = saver.payload();
        this.blocks = saver.blocks();
        this.requests = requests;
        this.backgroundPages = backgroundPages;
        this.windowPages = windowPages;
        this.prioritize = prioritize;
        this.pending = new long[blocks.size()][];
        for (DirtyBitmap d : bitmaps) {
            int b = blocks.indexOf(d.block());
            long[] words = new long[d.wordCount()];
            for (int w = 0; w < words.length; w++) {
                words[w] = d.getAndClearWord(w);
                left += Long.bitCount(words[w]);
            }
            pending[b] = words;
        }
        if (everyPage) { // nothing was sent before: every page of every block is missing
            left = 0;
            for (int b = 0; b < blocks.size(); b++) {
                long pages = blocks.get(b).pageCount();
                long[] words = new long[(int) ((pages + 63) >>> 6)];
                java.util.Arrays.fill(words, -1L);
                if ((pages & 63) != 0) {
                    words[words.length - 1] = (1L << (pages & 63)) - 1;
                }
                pending[b] = words;
                left += pages;
            }
        }
        this.requestSlot = session.newSlot();
        this.backgroundSlot = session.newSlot();
    }

    /**
     * Sends the missing-page maps: runs of non-zero bitmap words, as many per packet as fit.
     *
     * @return the pages missing at the destination
     * @throws IOException from the session
     */
    long sendMaps() throws IOException {
        for (int b = 0; b < pending.length; b++) {
            long[] words = pending[b];
            if (words == null) {
                continue;
            }
            RamBlock block = blocks.get(b);
            int cap = RamBody.mapCapacity(block, payload.batchBytes());
            int w = 0;
            while (w < words.length) {
                if (words[w] == 0) {
                    w++;
                    continue;
                }
                int end = w + 1;
                while (end < words.length && end - w < cap && words[end] != 0) {
                    end++;
                }
                RamBody body = requestSlot.fill(payload);
                body.missingMap(block, w, words, end - w);
                requestSlot = session.send(requestSlot);
                w = end;
            }
        }
        return left;
    }

    /** Sends the release marker (after the sync that follows the maps). */
    void release() throws IOException {
        RamBody body = requestSlot.fill(payload);
        body.releaseMarker(blocks.get(0));
        requestSlot = session.send(requestSlot);
    }

    /**
     * Moves the stream to a new session that resumes the paused post-copy: sends the resume
     * marker, waits for the destination's missing-page bitmap, and makes it the pending set (it
     * holds every page the destination lacks, those lost in flight when the old session broke
     * included).
     *
     * @param saver      the new session's saver, opened with {@link RamSaver#openForPostcopyResume}
     * @param waitNanos  how long to wait for the bitmap
     * @return the pages the destination lacks
     * @throws IOException from the session, or if the bitmap did not come in time
     */
    long resume(RamSaver saver, long waitNanos) throws IOException {
        if (saver.blocks().size() != blocks.size()) {
            throw new IllegalArgumentException("the resumed saver has " + saver.blocks().size() + " blocks, the paused "
                    + "post-copy " + blocks.size());
        }
        this.session = saver.session();
        this.payload = saver.payload();
        this.requests = saver.postcopyRequests();
        this.requestSlot = session.newSlot();
        this.backgroundSlot = session.newSlot();
        RamBody body = requestSlot.fill(payload);
        body.resumeMarker(blocks.get(0));
        requestSlot = session.send(requestSlot);
        long[][] missing = requests.awaitBitmap(waitNanos);
        if (missing == null) {
            throw new IOException("post-copy resume: the destination sent no missing-page bitmap within "
                    + waitNanos / 1_000_000 + " ms");
        }
        left = 0;
        sent = 0;
        for (int b = 0; b < blocks.size(); b++) {
            long[] words = missing[b] != null ? missing[b]
                    : new long[(int) ((blocks.get(b).pageCount() + 63) >>> 6)];
            for (long w : words) {
                left += Long.bitCount(w);
            }
            pending[b] = words;
        }
        cursorBlock = 0;
        cursorPage = 0;
        return left;
    }

    /** Missing pages sent because they were requested. */
    long requestedPages() {
        return requestedPages;
    }

    /**
     * Sends every missing page once, requested ones first.
     *
     * @param stallNanos how long the destination may report no applied page while the window is full
     * @throws IOException from the session, or if the destination stalled
     */
    void run(long stallNanos) throws IOException {
        while (left > 0) {
            serveRequests();
            if (left == 0) {
                break;
            }
            if (windowPages > 0 && sent - requests.applied() >= windowPages) {
                if (!requests.awaitRequestOrApplied(sent - windowPages + 1, stallNanos)) {
                    throw new IOException("post-copy: the destination reported no applied page for "
                            + stallNanos / 1_000_000 + " ms with " + windowPages + " pages in flight");
                }
                continue;
            }
            background();
        }
        flush(true);
        flush(false);
    }

    /**
     * Sends every requested page still pending, ahead of the background, and moves the cursor
     * after the last range. The negative control ({@code prioritize} off) only moves the cursor
     * to the range, so the pages leave with the next background packet.
     */
    private void serveRequests() throws IOException {
        PostcopyRequests.Range r;
        boolean any = false;
        while ((r = requests.poll()) != null) {
            long[] words = pending[r.block()];
            if (words == null) {
                continue; // a block that was never dirty: the destination has every page
            }
            RamBlock block = blocks.get(r.block());
            cursorBlock = r.block();
            if (!prioritize) {
                cursorPage = r.firstPage();
                continue;
            }
            for (long p = r.firstPage(), e = r.firstPage() + r.pages(); p < e; p++) {
                if (take(words, p)) {
                    add(true, block, p);
                    requestedPages++;
                    any = true;
                }
            }
            cursorPage = Math.min(r.firstPage() + r.pages(), block.pageCount());
        }
        if (any) {
            flush(true);
        }
    }

    /** Fills one background packet from the cursor and hands it over. */
    private void background() throws IOException {
        int added = 0;
        RamBlock current = null;
        while (added < backgroundPages && left > 0) {
            long[] words = pending[cursorBlock];
            long p = words == null ? -1 : next(words, cursorPage, blocks.get(cursorBlock).pageCount());
            if (p < 0) { // this block is done from the cursor on: next block, or wrap around
                cursorBlock = (cursorBlock + 1) % blocks.size();
                cursorPage = 0;
                if (added > 0) {
                    break;
                }
                continue;
            }
            RamBlock block = blocks.get(cursorBlock);
            if (current != null && current != block) {
                break;
            }
            current = block;
            take(words, p);
            add(false, block, p);
            added++;
            cursorPage = p + 1;
        }
        flush(false);
    }

    private void add(boolean request, RamBlock block, long page) throws IOException {
        SendData slot = request ? requestSlot : backgroundSlot;
        RamBody body = slot.fill(payload);
        if (!body.accepts(block)) {
            flush(request);
            slot = request ? requestSlot : backgroundSlot;
            body = slot.fill(payload);
        }
        if (body.isEmpty()) {
            body.postcopyPages();
        }
        body.add(block, page << Long.numberOfTrailingZeros(block.pageSize()));
        left--;
        sent++;
        if (body.isFull()) {
            flush(request);
        }
    }

    private void flush(boolean request) throws IOException {
        if (request) {
            if (!requestSlot.isEmpty() && !requestSlot.body(payload).isEmpty()) {
                requestSlot = session.send(requestSlot);
            }
        } else if (!backgroundSlot.isEmpty() && !backgroundSlot.body(payload).isEmpty()) {
            backgroundSlot = session.send(backgroundSlot);
        }
    }

    /** Clears a pending page; true if it was pending. */
    private boolean take(long[] words, long page) {
        int w = (int) (page >>> 6);
        long bit = 1L << page;
        if ((words[w] & bit) == 0) {
            return false;
        }
        words[w] &= ~bit;
        return true;
    }

    /** The first pending page at or after {@code from}, or -1. */
    private static long next(long[] words, long from, long pages) {
        if (from >= pages) {
            return -1;
        }
        int w = (int) (from >>> 6);
        long bits = words[w] & (-1L << from);
        while (true) {
            if (bits != 0) {
                return ((long) w << 6) + Long.numberOfTrailingZeros(bits);
            }
            if (++w >= words.length) {
                return -1;
            }
            bits = words[w];
        }
    }
}
