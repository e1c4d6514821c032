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

import java.util.Objects;

/**
 * The body of a RAM slot: up to one batch of pages of one {@link RamBlock}, as page offsets.
 *
 * <p>{@link RamSaver} fills bodies; a product with its own client may fill one directly (get it
 * with {@code slot.fill(ramPayload)}), adding pages with {@link #add(RamBlock, long)} until
 * {@link #isFull()} or until the next page is in another block, then handing the slot to
 * {@code session.send}. Within one sync epoch each page should be queued at most once: two copies
 * of a page in one epoch may be applied in either order.
 *
 * <p>Ownership follows the slot's ({@link io.multifd.api.SendData}): the client while filling,
 * the channel thread from {@code send} until the packet is written. The channel thread reorders
 * the offsets while preparing (normal pages first, then zero pages) and resets the body
 * afterwards. Not thread-safe. The offset array is made once per slot and grows at most once per
 * page size, so steady state allocates nothing.
 */
public final class RamBody {

    private final int batchBytes;
    private RamBlock block;
    private int capacity;
    private long[] offsets;
    private int count;
    /** The RAM header flags of this body's packet: 0 for pre-copy pages (see {@link RamPayload}). */
    private int flags;
    /** A missing-page map: the index of the block bitmap's first word carried; -1 otherwise. */
    private long firstWord = -1;

    RamBody(int batchBytes) {
        this.batchBytes = batchBytes;
        this.offsets = new long[0];
    }

    /**
     * Adds a page. The first page fixes the body's block; the capacity is the batch size divided
     * by that block's page size (at least one page).
     *
     * @param block  the page's block: the same block for every page of a body
     * @param offset the page's offset, page-aligned and within the block
     * @throws IllegalArgumentException  if the block differs from the body's block
     * @throws IndexOutOfBoundsException if the offset is not a page of the block
     * @throws IllegalStateException     if the body is full
     */
    public void add(RamBlock block, long offset) {
        Objects.requireNonNull(block, "block");
        if (this.block == null) {
            this.block = block;
            this.capacity = capacityFor(block, batchBytes);
            if (offsets.length < capacity) {
                offsets = new long[capacity];
            }
        } else if (this.block != block) {
            throw new IllegalArgumentException("body holds pages of block '" + this.block.name()
                    + "'; send it before adding pages of '" + block.name() + "'");
        }
        if (count == capacity) {
            throw new IllegalStateException("body is full (" + capacity + " pages)");
        }
        block.pageLength(offset); // checks range and alignment
        offsets[count++] = offset;
    }

    /**
     * Tells whether a page of {@code block} can be added: the body is empty, or holds pages of the
     * same block and is not full.
     *
     * @param block a block
     * @return true if {@link #add(RamBlock, long)} would accept a page of it
     */
    public boolean accepts(RamBlock block) {
        return this.block == null || (this.block == block && count < capacity);
    }

    /** True if the body holds as many pages as one packet may carry. */
    public boolean isFull() {
        return block != null && count == capacity;
    }

    /** True if the body holds no page. */
    public boolean isEmpty() {
        return count == 0;
    }

    /** The block of the pages, or {@code null} if empty. */
    public RamBlock block() {
        return block;
    }

    /** The number of pages. */
    public int count() {
        return count;
    }

    /**
     * The offset of the {@code i}-th page.
     *
     * @param i index, below {@link #count()}
     * @return the page offset
     */
    public long offset(int i) {
        Objects.checkIndex(i, count);
        return offsets[i];
    }

    /**
     * The RAM header flags this body's packet carries: 0 for pages of a pre-copy round, or one of
     * {@link RamPayload#FLAG_POSTCOPY_PAGES}, {@link RamPayload#FLAG_MISSING},
     * {@link RamPayload#FLAG_RELEASE} and {@link RamPayload#FLAG_RESUME}, set by the post-copy driver.
     *
     * @return the flags
     */
    public int flags() {
        return flags;
    }

    /**
     * For a missing-page map ({@link RamPayload#FLAG_MISSING}): the index of the first bitmap
     * word it carries; its {@link #count()} words follow as {@link #offset(int)} values.
     *
     * @return the word index, or -1 for other bodies
     */
    public long firstWord() {
        return firstWord;
    }

    /** The batch size in bytes this body was made for. */
    public int batchBytes() {
        return batchBytes;
    }

    @Override
    public String toString() {
        return "RamBody[" + (block == null ? "empty" : block.name() + ", " + count + " pages") + "]";
    }

    // ------------------------------------------------------------- package-private

    long[] offsetArray() {
        return offsets;
    }

    void reset() {
        block = null;
        count = 0;
        capacity = 0;
        flags = 0;
        firstWord = -1;
    }

    /** Marks the (empty or page-holding) body as post-copy pages. */
    void postcopyPages() {
        flags = RamPayload.FLAG_POSTCOPY_PAGES;
    }

    /**
     * Fills an empty body with part of a block's missing-page map.
     *
     * @param block the block
     * @param first the index of the first word
     * @param words the block's map, one bit per page
     * @param n     the words to carry, 1 to {@link #mapCapacity(RamBlock, int)}
     */
    void missingMap(RamBlock block, long first, long[] words, int n) {
        ensure(block, n);
        System.arraycopy(words, (int) first, offsets, 0, n);
        count = n;
        flags = RamPayload.FLAG_MISSING;
        firstWord = first;
    }

    /** Fills an empty body with the release marker (it names the session's first block). */
    void releaseMarker(RamBlock block) {
        ensure(block, 0);
        flags = RamPayload.FLAG_RELEASE;
    }

    /** Fills an empty body with the resume marker (it names the session's first block). */
    void resumeMarker(RamBlock block) {
        ensure(block, 0);
        flags = RamPayload.FLAG_RESUME;
    }

    private void ensure(RamBlock block, int n) {
        if (this.block != null || count != 0) {
            throw new IllegalStateException("body is not empty");
        }
        this.block = block;
        this.capacity = capacityFor(block, batchBytes);
        if (offsets.length < Math.max(capacity, n)) {
            offsets = new long[Math.max(capacity, n)];
        }
    }

    /** Bitmap words one missing-page map packet of a block carries at most: one entry fewer than its page cap. */
    static int mapCapacity(RamBlock block, int batchBytes) {
        return Math.max(1, capacityFor(block, batchBytes) - 1);
    }

    /** Pages per packet for a block: the batch divided by its page size, at least one page. */
    static int capacityFor(RamBlock block, int batchBytes) {
        return capacityFor(block.pageSize(), batchBytes);
    }

    static int capacityFor(int pageSize, int batchBytes) {
        return Math.max(1, batchBytes / pageSize);
    }
}
