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

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Writes a small file in the layout QEMU 10 gives {@code migrate file:} with the mapped-ram
 * capability (docs/snapshot-format.md, "QEMU files"), so the reader is tested on that layout
 * where no QEMU is installed. The device state is a placeholder section; the stream ends with
 * EOF and a JSON VM description as a completed save does.
 */
final class QemuFileFixture {

    boolean mappedRamCapability = true;
    boolean completed = true;
    int iterations = 3;

    /**
     * Writes the stream at {@code start} of {@code file}; pages of each block that are zero are
     * left out (bit clear), the others written at their place.
     */
    void write(Path file, long start, List<RamBlock> blocks) throws IOException {
        writeBlocks(file, start, blocks);
    }

    /**
     * Writes a file holding one block that declares {@code length} bytes and has no page present:
     * bitmap and page area are holes, so a block of terabytes costs nothing on disk.
     */
    void writeEmpty(Path file, String name, long length, int pageSize) throws IOException {
        declared = new long[]{length};
        try {
            writeBlocks(file, 0, List.of(RamBlock.allocate(name, pageSize, pageSize)));
        } finally {
            declared = null;
        }
    }

    /** Lengths declared instead of the blocks' own, their pages all absent ({@link #writeEmpty}). */
    private long[] declared;

    private void writeBlocks(Path file, long start, List<RamBlock> blocks) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.READ)) {
            ch.truncate(start);
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            DataOutputStream d = new DataOutputStream(head);
            d.writeInt(0x5145564D);
            d.writeInt(3);
            d.writeByte(0x07);
            byte[] machine = "pc-q35-10.0".getBytes(StandardCharsets.US_ASCII);
            d.writeInt(machine.length);
            d.write(machine);
            d.writeByte(0x05);
            name8(d, "configuration/capabilities");
            d.writeInt(1);
            List<String> caps = mappedRamCapability ? List.of("mapped-ram") : List.of("x-some-other");
            d.writeInt(caps.size());
            for (String c : caps) {
                name8(d, c);
            }
            d.writeByte(0x01);
            d.writeInt(1);
            name8(d, "ram");
            d.writeInt(0);
            d.writeInt(4);
            long total = 0;
            for (int i = 0; i < blocks.size(); i++) {
                total += declared != null ? declared[i] : blocks.get(i).length();
            }
            d.writeLong(total | 0x04);
            long pos = start + head.size();
            ch.write(ByteBuffer.wrap(head.toByteArray()), start);
            for (int i = 0; i < blocks.size(); i++) {
                RamBlock b = blocks.get(i);
                long length = declared != null ? declared[i] : b.length();
                long pageCount = (length + b.pageSize() - 1) / b.pageSize();
                ByteArrayOutputStream rec = new ByteArrayOutputStream();
                DataOutputStream r = new DataOutputStream(rec);
                name8(r, b.name());
                r.writeLong(length);
                long bitmapAt = pos + rec.size() + 28;
                long bitmapBytes = (pageCount + 63) / 64 * 8;
                long pagesAt = (bitmapAt + bitmapBytes + (1 << 20) - 1) / (1 << 20) * (1 << 20);
                r.writeInt(1);
                r.writeLong(b.pageSize());
                r.writeLong(bitmapAt);
                r.writeLong(pagesAt);
                ch.write(ByteBuffer.wrap(rec.toByteArray()), pos);
                ByteBuffer bm = ByteBuffer.allocate(declared != null ? 0 : (int) bitmapBytes)
                        .order(ByteOrder.LITTLE_ENDIAN);
                byte[] page = new byte[b.pageSize()];
                for (long p = 0; declared == null && p < b.pageCount(); p++) {
                    long off = p * b.pageSize();
                    if (!b.isZeroPage(off)) {
                        int len = b.pageLength(off);
                        b.get(off, page, 0, len);
                        ch.write(ByteBuffer.wrap(page, 0, len), pagesAt + off);
                        int w = (int) (p / 64) * 8;
                        bm.putLong(w, bm.getLong(w) | (1L << (p % 64)));
                    }
                }
                if (completed) {
                    ch.write(bm, bitmapAt); // QEMU writes the bitmaps when the save completes
                }
                pos = pagesAt + length;
            }
            ByteArrayOutputStream tail = new ByteArrayOutputStream();
            DataOutputStream t = new DataOutputStream(tail);
            t.writeLong(0x10);
            footer(t);
            for (int i = 0; i < iterations; i++) {
                t.writeByte(0x02);
                t.writeInt(1);
                t.writeLong(0x10);
                footer(t);
            }
            t.writeByte(0x08); // SWITCHOVER_START
            t.writeShort(11);
            t.writeShort(0);
            t.writeByte(0x03);
            t.writeInt(1);
            t.writeLong(0x10);
            footer(t);
            t.writeByte(0x04); // one device section, opaque to the reader
            t.writeInt(2);
            name8(t, "timer");
            t.writeInt(0);
            t.writeInt(2);
            t.writeLong(123456789L);
            t.writeByte(0x7e);
            t.writeInt(2);
            if (completed) {
                t.writeByte(0x00);
                byte[] json = "{\"page_size\":4096,\"devices\":[{\"name\":\"timer\"}]}".getBytes(StandardCharsets.US_ASCII);
                t.writeByte(0x06);
                t.writeInt(json.length);
                t.write(json);
            }
            ch.write(ByteBuffer.wrap(tail.toByteArray()), pos);
        }
    }

    private static void footer(DataOutputStream d) throws IOException {
        d.writeByte(0x7e);
        d.writeInt(1);
    }

    private static void name8(DataOutputStream d, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        d.writeByte(b.length);
        d.write(b);
    }
}
