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

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A fixed-size bitmap of pages, safe for several threads setting bits at once (atomic OR per
 * word, skipped when the bit is already set). The receiver's record of the pages a session wrote.
 * Not part of the public API.
 */
public final class PageBitmap {

    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] words;
    private final long pages;

    /**
     * @param pages the number of bits
     */
    public PageBitmap(long pages) {
        long w = (pages + 63) >>> 6;
        if (w > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("too many pages for a bitmap: " + pages);
        }
        this.words = new long[(int) w];
        this.pages = pages;
    }

    /** The number of bits. */
    public long pages() {
        return pages;
    }

    /**
     * Sets the bits of the pages at some byte offsets: one atomic OR per 64-page word touched
     * (adjacent offsets, the usual case, share it), none where every bit is set already.
     * Thread-safe.
     *
     * @param offsets byte offsets of pages, page-aligned and inside the bitmap (checked by the caller)
     * @param from    the first index in {@code offsets}
     * @param to      the index after the last
     * @param shift   log2 of the page size
     */
    public void setOffsets(long[] offsets, int from, int to, int shift) {
        int i = from;
        while (i < to) {
            long page = offsets[i] >>> shift;
            int w = (int) (page >>> 6);
            long bits = 1L << page;
            i++;
            while (i < to) {
                long p = offsets[i] >>> shift;
                if ((int) (p >>> 6) != w) {
                    break;
                }
                bits |= 1L << p;
                i++;
            }
            if (((long) WORDS.getOpaque(words, w) & bits) != bits) {
                WORDS.getAndBitwiseOr(words, w, bits);
            }
        }
    }

    /**
     * Counts the clear bits. Reads with acquire semantics; call it once the writers are done.
     *
     * @return the number of pages whose bit is not set
     */
    public long countClear() {
        long set = 0;
        for (int w = 0; w < words.length; w++) {
            set += Long.bitCount((long) WORDS.getAcquire(words, w));
        }
        return pages - set;
    }

    /**
     * Finds the first clear bit. Reads with acquire semantics; call it once the writers are done.
     *
     * @return the index of the first page whose bit is not set, or -1 if every bit is set
     */
    public long firstClear() {
        for (int w = 0; w < words.length; w++) {
            long v = (long) WORDS.getAcquire(words, w);
            if (v != -1L) {
                long page = ((long) w << 6) + Long.numberOfTrailingZeros(~v);
                return page < pages ? page : -1;
            }
        }
        return -1;
    }

    /**
     * Sets a bit. Thread-safe.
     *
     * @param page the page index
     */
    public void set(long page) {
        int w = (int) (page >>> 6);
        long bit = 1L << page;
        if (((long) WORDS.getOpaque(words, w) & bit) == 0) {
            WORDS.getAndBitwiseOr(words, w, bit);
        }
    }

    /**
     * Reads a bit (opaque read: callers order it against {@link #set(long)} by other means, here
     * the sync barrier between epochs).
     *
     * @param page the page index
     * @return true if set
     */
    public boolean get(long page) {
        return ((long) WORDS.getOpaque(words, (int) (page >>> 6)) & (1L << page)) != 0;
    }

    /**
     * One word of the bitmap (pages {@code 64 * w} to {@code 64 * w + 63}). Any thread.
     *
     * @param w the word index, below {@code (pages + 63) / 64}
     * @return the word
     */
    public long word(int w) {
        return (long) WORDS.getAcquire(words, w);
    }
}
