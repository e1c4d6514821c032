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

import io.multifd.ram.snapshot.SnapshotFormatException.Reason;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the layout of a QEMU migration stream written to a file with the {@code mapped-ram}
 * capability (QEMU 9.0 and later; checked against files of QEMU 10.0): the stream header, the
 * configuration section with its capability list, the {@code ram} section's setup record with one
 * mapped-ram block header per RAM block, the flag-only {@code ram} iterations, and the end of the
 * device state (an EOF marker followed by the JSON VM description). Only the layout is read; no
 * page. Confined to the opening thread.
 */
final class QemuStreamParser {

    static final int FILE_MAGIC = 0x5145564D; // "QEVM"
    static final int FILE_VERSION = 3;
    private static final int EOF = 0x00;
    private static final int SECTION_START = 0x01;
    private static final int SECTION_PART = 0x02;
    private static final int SECTION_END = 0x03;
    private static final int SUBSECTION = 0x05;
    private static final int VMDESCRIPTION = 0x06;
    private static final int CONFIGURATION = 0x07;
    private static final int COMMAND = 0x08;
    private static final int FOOTER = 0x7e;
    private static final long FLAG_MEM_SIZE = 0x04;
    private static final long FLAG_EOS = 0x10;
    private static final long FLAG_MULTIFD_FLUSH = 0x200;
    private static final long FLAGS_MASK = 0xfff;
    private static final int RAM_SECTION_VERSION = 4;

    /** What the parser found. */
    record Result(String machineType, List<String> capabilities, List<SnapshotBlock> blocks, long ramBytes,
                  long deviceStateOffset, long endOffset) {
    }

    private final FileChannel file;
    private final long size;
    /** More capabilities than any QEMU has (10.0 has under 40): a count beyond it is not QEMU's. */
    static final int MAX_CAPABILITIES = 256;
    private final ByteBuffer buf = ByteBuffer.allocate(64 << 10);
    private long bufStart;
    private long pos;

    private QemuStreamParser(FileChannel file, long start) throws IOException {
        this.file = file;
        this.size = file.size();
        this.pos = start;
        this.bufStart = start;
        buf.limit(0);
    }

    /**
     * Parses the stream that starts at {@code start}.
     *
     * @throws SnapshotFormatException naming what is not as a completed mapped-ram stream has it
     * @throws IOException             if the file cannot be read
     */
    static Result parse(FileChannel file, long start) throws IOException {
        QemuStreamParser p = new QemuStreamParser(file, start);
        try {
            return p.parse();
        } catch (EOFException e) {
            throw new SnapshotFormatException(Reason.TRUNCATED, "QEMU stream ends at offset " + p.size
                    + " inside a record (" + e.getMessage() + ")");
        }
    }

    private Result parse() throws IOException {
        int magic = be32();
        if (magic != FILE_MAGIC) {
            throw new SnapshotFormatException(Reason.NOT_A_SNAPSHOT, String.format("bad magic %08x", magic));
        }
        int version = be32();
        if (version != FILE_VERSION) {
            throw new SnapshotFormatException(Reason.UNSUPPORTED, "QEMU stream version " + version + " (known: 3)");
        }
        String machine = null;
        List<String> caps = new ArrayList<>();
        if (peek() == CONFIGURATION) {
            u8();
            int n = be32();
            if (n < 0 || n > 4096) {
                throw new SnapshotFormatException(Reason.MALFORMED, "machine type of " + n + " bytes");
            }
            machine = new String(bytes(n), StandardCharsets.US_ASCII);
            while (peek() == SUBSECTION) {
                u8();
                String name = name8();
                be32(); // subsection version
                switch (name) {
                    case "configuration/capabilities" -> {
                        int count = be32();
                        if (count < 0 || count > MAX_CAPABILITIES) {
                            throw new SnapshotFormatException(Reason.MALFORMED, "configuration/capabilities announces "
                                    + Integer.toUnsignedString(count) + " capabilities at offset " + (pos - 4)
                                    + " (QEMU has fewer than " + MAX_CAPABILITIES + ")");
                        }
                        for (int i = 0; i < count; i++) {
                            caps.add(name8());
                        }
                    }
                    case "configuration/target-page-bits" -> be32();
                    case "configuration/uuid" -> bytes(16);
                    default -> throw new SnapshotFormatException(Reason.UNSUPPORTED,
                            "configuration subsection '" + name + "' at offset " + (pos - 1));
                }
            }
        }
        if (!caps.contains("mapped-ram")) {
            throw new SnapshotFormatException(Reason.UNSUPPORTED, "QEMU stream without the mapped-ram capability "
                    + "(capabilities: " + caps + "): its pages are not at fixed places");
        }
        boolean ignoreShared = caps.contains("x-ignore-shared");
        while (peek() == COMMAND) {
            skipCommand();
        }
        int kind = u8();
        if (kind != SECTION_START) {
            throw new SnapshotFormatException(Reason.MALFORMED, "expected the 'ram' section start at offset "
                    + (pos - 1) + ", found record type " + kind);
        }
        int sid = be32();
        String id = name8();
        be32(); // instance
        int sectionVersion = be32();
        if (!id.equals("ram") || sectionVersion != RAM_SECTION_VERSION) {
            throw new SnapshotFormatException(Reason.UNSUPPORTED, "first section is '" + id + "' version "
                    + sectionVersion + ", not 'ram' version 4");
        }
        long first = be64();
        if ((first & FLAG_MEM_SIZE) == 0) {
            throw new SnapshotFormatException(Reason.MALFORMED, String.format("ram setup starts with flags %x, "
                    + "not MEM_SIZE", first & FLAGS_MASK));
        }
        long total = first & ~FLAGS_MASK;
        long left = total;
        List<SnapshotBlock> blocks = new ArrayList<>();
        while (left > 0) {
            long record = pos;
            String name = name8();
            long used = be64();
            if (ignoreShared) {
                be64();
            }
            int hv = be32();
            long pageSize = be64();
            long bitmap = be64();
            long pages = be64();
            if (hv > SnapshotFormat.MAPPED_RAM_HEADER_VERSION || hv < 1) {
                throw new SnapshotFormatException(Reason.UNSUPPORTED, "mapped-ram header version " + hv + " of block '"
                        + name + "'");
            }
            if (used < 0 || used > left) {
                throw new SnapshotFormatException(Reason.MALFORMED, "block '" + name + "' of " + used
                        + " bytes exceeds the announced RAM total " + total);
            }
            left -= used;
            if (bitmap == 0 && pages == 0) {
                continue; // a block not migrated (x-ignore-shared in later QEMUs)
            }
            // 512 bytes at least, as this project's own format (a smaller page only multiplies the bitmap)
            if (pageSize < 512 || pageSize > (1 << 30) || Long.bitCount(pageSize) != 1) {
                throw new SnapshotFormatException(Reason.MALFORMED, "block '" + name + "': page size " + pageSize
                        + " (a power of two from 512 bytes to 1 GiB)");
            }
            for (SnapshotBlock other : blocks) {
                if (other.name().equals(name)) {
                    throw new SnapshotFormatException(Reason.MALFORMED, "block '" + name + "' appears twice");
                }
            }
            if (pages < 0) {
                throw new SnapshotFormatException(Reason.MALFORMED, "block '" + name + "': page area offset " + pages);
            }
            if (bitmap != pos) {
                throw new SnapshotFormatException(Reason.MALFORMED, "block '" + name + "': bitmap offset " + bitmap
                        + " is not right after its header (" + pos + ")");
            }
            SnapshotBlock b = new SnapshotBlock(name, used, (int) pageSize, record, bitmap, pages);
            if (pages < bitmap + b.bitmapLength() || pages % SnapshotFormat.PAGE_AREA_ALIGNMENT != 0) {
                throw new SnapshotFormatException(Reason.MALFORMED, "block '" + name + "': page area at " + pages
                        + " is not a multiple of 1 MiB after the bitmap");
            }
            if (b.pagesEnd() > size) {
                throw new SnapshotFormatException(Reason.TRUNCATED, "block '" + name + "' needs the file up to byte "
                        + b.pagesEnd() + "; it ends at " + size);
            }
            blocks.add(b);
            seek(b.pagesEnd());
        }
        eos();
        footer(sid);
        // the flag-only ram iterations and commands; then the device state
        while (true) {
            int k = peek();
            if (k == COMMAND) {
                skipCommand();
            } else if (k == SECTION_PART || k == SECTION_END) {
                long at = pos;
                u8();
                if (be32() != sid) {
                    seek(at);
                    break;
                }
                eos();
                footer(sid);
            } else {
                break;
            }
        }
        long device = pos;
        long end = findEnd(device);
        return new Result(machine, List.copyOf(caps), List.copyOf(blocks), total, device, end);
    }

    /** The stream must end with EOF, VMDESCRIPTION, be32 length and that much JSON: a completed save. */
    private long findEnd(long from) throws IOException {
        int tail = (int) Math.min(size - from, 16L << 20);
        ByteBuffer t = ByteBuffer.allocate(tail);
        readFully(t, size - tail);
        byte[] a = t.array();
        for (int i = tail - 6; i >= 1; i--) {
            if (a[i] == VMDESCRIPTION && a[i - 1] == EOF) {
                long n = Integer.toUnsignedLong(ByteBuffer.wrap(a, i + 1, 4).getInt());
                if (i + 5 + n == tail) {
                    return size;
                }
            }
        }
        throw new SnapshotFormatException(Reason.INCOMPLETE, "the QEMU stream has no EOF marker and VM description "
                + "at its end: the save did not complete (its bitmaps are written last)");
    }

    private void eos() throws IOException {
        while (true) {
            long w = be64();
            if ((w & FLAG_EOS) != 0) {
                return;
            }
            if ((w & ~FLAG_MULTIFD_FLUSH) != 0) {
                throw new SnapshotFormatException(Reason.MALFORMED, String.format("ram record with flags %x at "
                        + "offset %d in a mapped-ram stream (pages are never in the stream)", w, pos - 8));
            }
        }
    }

    private void footer(int sid) throws IOException {
        int k = u8();
        int f = be32();
        if (k != FOOTER || f != sid) {
            throw new SnapshotFormatException(Reason.MALFORMED, "no footer of section " + sid + " at offset " + (pos - 5));
        }
    }

    private void skipCommand() throws IOException {
        u8();
        be16();
        bytes(be16());
    }

    // ---------------------------------------------------------------- buffered big-endian reads

    private void seek(long p) {
        pos = p;
    }

    private void fill(int n) throws IOException {
        if (pos >= bufStart && pos + n <= bufStart + buf.limit()) {
            return;
        }
        buf.clear();
        bufStart = pos;
        long avail = size - pos;
        if (avail < n) {
            throw new EOFException(n + " bytes wanted at offset " + pos);
        }
        buf.limit((int) Math.min(buf.capacity(), avail));
        readFully(buf, pos);
        buf.flip();
    }

    private void readFully(ByteBuffer b, long at) throws IOException {
        long p = at;
        while (b.hasRemaining()) {
            int r = file.read(b, p);
            if (r < 0) {
                throw new EOFException("end of file at offset " + p);
            }
            p += r;
        }
    }

    private int peek() throws IOException {
        fill(1);
        return buf.get((int) (pos - bufStart)) & 0xff;
    }

    private int u8() throws IOException {
        int v = peek();
        pos++;
        return v;
    }

    private int be16() throws IOException {
        fill(2);
        int v = buf.getShort((int) (pos - bufStart)) & 0xffff;
        pos += 2;
        return v;
    }

    private int be32() throws IOException {
        fill(4);
        int v = buf.getInt((int) (pos - bufStart));
        pos += 4;
        return v;
    }

    private long be64() throws IOException {
        fill(8);
        long v = buf.getLong((int) (pos - bufStart));
        pos += 8;
        return v;
    }

    private byte[] bytes(int n) throws IOException {
        byte[] out = new byte[n];
        for (int i = 0; i < n; i++) {
            out[i] = (byte) u8();
        }
        return out;
    }

    private String name8() throws IOException {
        byte[] b = bytes(u8()); // strictly: a name that is not UTF-8 is damage (QEMU's names are ASCII)
        return SnapshotFormat.strictUtf8(b, "a name at offset " + (pos - b.length));
    }
}
