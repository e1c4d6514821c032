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

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;

/**
 * One dirty bit per page of a {@link RamBlock}: the product's writers mark the pages they wrote,
 * and {@link RamSaver#saveDirty} sends the marked pages and clears their bits.
 *
 * <h2>The rule for writers</h2>
 * <b>Mark a page after writing it</b> (after the last store of the write). Then every write is
 * either seen by the round that clears its bit, or leaves the bit set for the next round: the
 * saver clears a word of 64 bits atomically before it reads those pages, and a writer that marks
 * after the saver cleared sets the bit again. A page marked before it is written may be sent with
 * its old contents and never again.
 *
 * <h2>Threads</h2>
 * Any number of threads may {@link #markPage(long) mark} at once while one saver thread scans
 * and clears ({@link #getAndClearWord(int)}, word-level atomic get-and-set). Marking a page that
 * is already dirty costs one fence and one read, no write to the shared word, so hot pages do
 * not make writers fight over cache lines. {@link #count()} is exact when nobody is marking or
 * clearing, and otherwise a value the count passed through recently.
 */
public final class DirtyBitmap {

    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);

    private final RamBlock block;
    private final long pages;
    private final long[] words;
    private final LongAdder count = new LongAdder();

    /**
     * Makes a clean bitmap (no page dirty) for a block.
     *
     * @param block the block; its pages, the last partial one included, get one bit each
     * @throws IllegalArgumentException if the block has more than 2^37 pages
     */
    public DirtyBitmap(RamBlock block) {
        this.block = Objects.requireNonNull(block, "block");
        this.pages = block.pageCount();
        long w = (pages + 63) >>> 6;
        if (w > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("block '" + block.name() + "' has too many pages for a bitmap: " + pages);
        }
        this.words = new long[(int) w];
    }

    /** The block this bitmap covers. */
    public RamBlock block() {
        return block;
    }

    /** The number of pages (bits). */
    public long pageCount() {
        return pages;
    }

    /**
     * Marks a page dirty. Thread-safe; call it after the write.
     *
     * @param page the page index, 0 to {@link #pageCount()} - 1
     * @throws IndexOutOfBoundsException if out of range
     */
    public void markPage(long page) {
        Objects.checkIndex(page, pages);
        int w = (int) (page >>> 6);
        long bit = 1L << page;
        // Dekker-style: the writer's stores to the page must be ordered before its read of the bit;
        // the saver's get-and-set of the word is ordered before its reads of the page.
        VarHandle.fullFence();
        if (((long) WORDS.getVolatile(words, w) & bit) != 0) {
            return;
        }
        long old = (long) WORDS.getAndBitwiseOr(words, w, bit);
        if ((old & bit) == 0) {
            count.increment();
        }
    }

    /**
     * Marks the page containing a byte offset dirty. Thread-safe; call it after the write.
     *
     * @param offset a byte offset within the block
     * @throws IndexOutOfBoundsException if out of range
     */
    public void mark(long offset) {
        if (offset < 0 || offset >= block.length()) {
            throw new IndexOutOfBoundsException("offset " + offset + " outside block '" + block.name() + "'");
        }
        markPage(offset >>> block.pageShift());
    }

    /**
     * Marks every page that a byte range touches. Thread-safe; call it after the write.
     *
     * @param offset the first byte
     * @param length the number of bytes, at least 0
     * @throws IndexOutOfBoundsException if the range leaves the block
     */
    public void markRange(long offset, long length) {
        if (offset < 0 || length < 0 || offset > block.length() - length) {
            throw new IndexOutOfBoundsException("range [" + offset + ", +" + length + ") outside block '"
                    + block.name() + "'");
        }
        if (length == 0) {
            return;
        }
        long first = offset >>> block.pageShift();
        long last = (offset + length - 1) >>> block.pageShift();
        for (long p = first; p <= last; p++) {
            markPage(p);
        }
    }

    /** Marks every page dirty. Thread-safe. */
    public void markAll() {
        for (long p = 0; p < pages; p++) {
            markPage(p);
        }
    }

    /**
     * Tells whether a page is marked.
     *
     * @param page the page index
     * @return true if dirty
     */
    public boolean isDirty(long page) {
        Objects.checkIndex(page, pages);
        return ((long) WORDS.getVolatile(words, (int) (page >>> 6)) & (1L << page)) != 0;
    }

    /** The number of dirty pages (see the class documentation for its precision). */
    public long count() {
        return Math.max(0, count.sum());
    }

    /** Clears every bit (the pages are no longer dirty), as a saver would. Thread-safe. */
    public void clear() {
        for (int w = 0; w < words.length; w++) {
            getAndClearWord(w);
        }
    }

    /** The number of 64-bit words: page {@code p} is bit {@code p % 64} of word {@code p / 64}. */
    public int wordCount() {
        return words.length;
    }

    /**
     * Reads a word without clearing it (a volatile read): lets a scanner skip clean words without
     * writing to them.
     *
     * @param word the word index
     * @return its bits
     */
    public long word(int word) {
        return (long) WORDS.getVolatile(words, word);
    }

    /**
     * Atomically reads and clears a word: the saver calls it, then sends the pages whose bits
     * were set.
     *
     * @param word the word index
     * @return the bits it had
     */
    public long getAndClearWord(int word) {
        if ((long) WORDS.getVolatile(words, word) == 0) {
            return 0;
        }
        long old = (long) WORDS.getAndSet(words, word, 0L);
        if (old != 0) {
            count.add(-Long.bitCount(old));
        }
        return old;
    }

    @Override
    public String toString() {
        return "DirtyBitmap[" + block.name() + ", " + count() + " of " + pages + " pages dirty]";
    }
}
