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

    /**
     * @param pages the number of bits
     */
    public PageBitmap(long pages) {
        long w = (pages + 63) >>> 6;
        if (w > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("too many pages for a bitmap: " + pages);
        }
        this.words = new long[(int) w];
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
}
