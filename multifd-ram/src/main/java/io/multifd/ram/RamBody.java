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
    }

    /** Pages per packet for a block: the batch divided by its page size, at least one page. */
    static int capacityFor(RamBlock block, int batchBytes) {
        return capacityFor(block.pageSize(), batchBytes);
    }

    static int capacityFor(int pageSize, int batchBytes) {
        return Math.max(1, batchBytes / pageSize);
    }
}
