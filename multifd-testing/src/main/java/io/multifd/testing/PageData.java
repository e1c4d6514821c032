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
package io.multifd.testing;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * Deterministic page contents for tests: zero pages, text-like pages (words and numbers, like
 * logs and heap strings) and random pages.
 */
public final class PageData {

    /** The page size: 4 KiB. */
    public static final int PAGE = 4096;

    private static final String[] WORDS = ("the of and to in is was for on that with as by at from migration page "
            + "channel packet sender receiver memory block offset length dirty round sync epoch zero "
            + "java multifd codec buffer thread 0x7f3a 42 1024 4096 null true false ERROR INFO DEBUG").split(" ");

    private PageData() {
    }

    /**
     * Fills one page of the given kind: 0 zero, 1 text, 2 random.
     *
     * @param dst  the array
     * @param at   where the page starts in it
     * @param kind 0, 1 or 2
     * @param r    the random source
     */
    public static void fillPage(byte[] dst, int at, int kind, SplittableRandom r) {
        switch (kind) {
            case 0 -> {
                for (int i = 0; i < PAGE; i++) {
                    dst[at + i] = 0;
                }
            }
            case 1 -> {
                int i = 0;
                while (i < PAGE) {
                    byte[] w = WORDS[r.nextInt(WORDS.length)].getBytes(StandardCharsets.US_ASCII);
                    for (int j = 0; j < w.length && i < PAGE; j++) {
                        dst[at + i++] = w[j];
                    }
                    if (i < PAGE) {
                        dst[at + i++] = (byte) (r.nextInt(12) == 0 ? '\n' : ' ');
                    }
                }
            }
            default -> {
                for (int i = 0; i < PAGE; i++) {
                    dst[at + i] = (byte) r.nextInt(256);
                }
            }
        }
    }

    /**
     * {@code pages} pages: a quarter zero, half text, a quarter random, in random order.
     *
     * @param pages how many pages
     * @param seed  the seed
     * @return a new array
     */
    public static byte[] mixed(int pages, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] b = new byte[pages * PAGE];
        for (int p = 0; p < pages; p++) {
            int x = r.nextInt(4);
            fillPage(b, p * PAGE, x == 0 ? 0 : x == 3 ? 2 : 1, r);
        }
        return b;
    }

    /**
     * Only text-like pages: always compressible.
     *
     * @param pages how many pages
     * @param seed  the seed
     * @return a new array
     */
    public static byte[] text(int pages, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] b = new byte[pages * PAGE];
        for (int p = 0; p < pages; p++) {
            fillPage(b, p * PAGE, 1, r);
        }
        return b;
    }

    /**
     * Random bytes: incompressible.
     *
     * @param length how many bytes
     * @param seed   the seed
     * @return a new array
     */
    public static byte[] random(int length, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) r.nextInt(256);
        }
        return b;
    }

    /**
     * Splits {@code data} into buffers of at most {@code piece} bytes, heap or direct.
     *
     * @param data   the bytes, copied
     * @param piece  bytes per buffer
     * @param direct direct or heap buffers
     * @return new buffers, each flipped (position 0, limit its length)
     */
    public static ByteBuffer[] split(byte[] data, int piece, boolean direct) {
        int n = Math.max(1, (data.length + piece - 1) / piece);
        ByteBuffer[] out = new ByteBuffer[n];
        for (int i = 0; i < n; i++) {
            int from = i * piece;
            int len = Math.min(piece, data.length - from);
            ByteBuffer b = direct ? ByteBuffer.allocateDirect(len) : ByteBuffer.allocate(len);
            b.put(data, from, len).flip();
            out[i] = b;
        }
        return out;
    }
}
