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

import io.multifd.testing.Hashes;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Seeded test images and comparisons of blocks. */
final class Images {

    private static final byte[] WORDS = ("the quick brown fox jumps over the lazy dog while multifd moves pages "
            + "over many channels and zero pages travel as offsets only ").getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private Images() {
    }

    /**
     * Fills a block page by page: about 40% zero pages, 30% text-like (compressible), 25% random,
     * 5% zero except one byte near the end (zero-page detection's worst case).
     */
    static void fillMixed(RamBlock block, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int ps = block.pageSize();
        byte[] page = new byte[ps];
        for (long off = 0; off < block.length(); off += ps) {
            int len = (int) Math.min(ps, block.length() - off);
            int kind = rnd.nextInt(100);
            if (kind < 40) {
                continue; // zero (fresh memory)
            }
            java.util.Arrays.fill(page, (byte) 0);
            if (kind < 70) {
                int start = rnd.nextInt(WORDS.length);
                for (int i = 0; i < len; i++) {
                    page[i] = WORDS[(start + i) % WORDS.length];
                }
            } else if (kind < 95) {
                for (int i = 0; i < len; i++) {
                    page[i] = (byte) rnd.nextInt(256);
                }
            } else {
                page[Math.max(0, len - 1 - rnd.nextInt(Math.min(len, 16)))] = (byte) (1 + rnd.nextInt(255));
            }
            block.put(off, page, 0, len);
        }
    }

    static String sha256(RamBlock block) {
        return Hashes.sha256(block.length(), block::get);
    }

    /** The first (at most 10) page offsets where two blocks differ. */
    static List<Long> firstMismatches(RamBlock a, RamBlock b) {
        List<Long> out = new ArrayList<>();
        int ps = a.pageSize();
        byte[] x = new byte[ps];
        byte[] y = new byte[ps];
        for (long off = 0; off < a.length() && out.size() < 10; off += ps) {
            int n = (int) Math.min(ps, a.length() - off);
            a.get(off, x, 0, n);
            b.get(off, y, 0, n);
            if (!java.util.Arrays.equals(x, 0, n, y, 0, n)) {
                out.add(off);
            }
        }
        return out;
    }
}
