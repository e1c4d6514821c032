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
package io.multifd.ram.snapshot;

import io.multifd.ram.RamBlock;
import io.multifd.testing.Hashes;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/** Seeded images, hashes and header surgery for the snapshot tests. */
final class SnapshotFixtures {

    private static final byte[] WORDS = "snapshots keep every page at a fixed place so channels write in parallel "
            .getBytes(StandardCharsets.US_ASCII);

    private SnapshotFixtures() {
    }

    /** About 35% zero pages, 35% text-like, 25% random, 5% zero but one byte; returns the non-zero page count. */
    static long fillMixed(RamBlock block, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int ps = block.pageSize();
        byte[] page = new byte[ps];
        long nonZero = 0;
        for (long off = 0; off < block.length(); off += ps) {
            int len = (int) Math.min(ps, block.length() - off);
            int kind = rnd.nextInt(100);
            if (kind < 35) {
                continue;
            }
            Arrays.fill(page, (byte) 0);
            if (kind < 70) {
                int s = rnd.nextInt(WORDS.length);
                for (int i = 0; i < len; i++) {
                    page[i] = WORDS[(s + i) % WORDS.length];
                }
            } else if (kind < 95) {
                for (int i = 0; i < len; i++) {
                    page[i] = (byte) rnd.nextInt(256);
                }
            } else {
                page[rnd.nextInt(len)] = (byte) (1 + rnd.nextInt(255));
            }
            block.put(off, page, 0, len);
            nonZero++;
        }
        return nonZero;
    }

    static String sha256(RamBlock block) {
        return Hashes.sha256(block.length(), block::get);
    }

    static String sha256(Path file, long from, long length) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return Hashes.sha256(length, (pos, dst, off, len) -> {
                ByteBuffer b = ByteBuffer.wrap(dst, off, len);
                while (b.hasRemaining()) {
                    if (ch.read(b, from + pos + (b.position() - off)) < 0) {
                        throw new IOException("short file");
                    }
                }
            });
        }
    }

    static SnapshotFormat.Header header(FileChannel ch, long start) throws IOException {
        ByteBuffer first = ByteBuffer.allocate(16);
        SnapshotReader.readFully(ch, first, start);
        ByteBuffer all = ByteBuffer.allocate(SnapshotFormat.declaredLength(first));
        SnapshotReader.readFully(ch, all, start);
        return SnapshotFormat.decodeHeader(all, start);
    }

    /** Rewrites the header with new block entries (recomputing its own checksum only). */
    static void rewriteHeader(FileChannel ch, long start, SnapshotFormat.Header h, List<SnapshotFormat.Entry> blocks)
            throws IOException {
        SnapshotFormat.Header n = new SnapshotFormat.Header(h.pageSize(), h.ramBytes(), h.codec(), h.deviceOffset(),
                h.deviceLength(), h.deviceCount(), h.deviceCrc(), h.endOffset(), blocks, 0);
        ch.write(SnapshotFormat.encodeHeader(n), start);
    }

    /** The CRC32C of a block's record and bitmap as they are in the file now. */
    static int recordCrc(FileChannel ch, SnapshotBlock b) throws IOException {
        ByteBuffer all = ByteBuffer.allocate((int) (b.bitmapOffset() - b.recordOffset() + b.bitmapLength()));
        SnapshotReader.readFully(ch, all, b.recordOffset());
        return SnapshotFormat.crc(all.array(), 0, all.capacity());
    }

    static long readWord(FileChannel ch, long at) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        SnapshotReader.readFully(ch, b, at);
        return b.getLong(0);
    }

    static void writeWord(FileChannel ch, long at, long v) throws IOException {
        ch.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, v), at);
    }
}
