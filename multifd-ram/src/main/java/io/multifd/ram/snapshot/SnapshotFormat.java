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
import io.multifd.ram.RamBlockInfo;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The constants of the snapshot format and its header codec. The layout is described in
 * {@code docs/snapshot-format.md}; in short, at the snapshot's start offset {@code S}:
 * <pre>
 * S:              header: magic "MULTIFDS", be32 version 1, be32 header length, be32 page size,
 *                 be32 block count, be64 RAM bytes, name8 codec, be64 device-state offset,
 *                 be64 device-state length, be32 device-state entries, be32 device-state CRC32C,
 *                 be64 end offset, per block (name8, be64 length, be32 page size,
 *                 be64 record offset, be32 CRC32C of record and bitmap), be32 CRC32C of the header
 * S + header:     block 0's record (name8, be64 length, 28-byte mapped-ram header), its bitmap,
 *                 its page area at the next multiple of 1 MiB; block 1's record right after
 *                 block 0's page area; ...
 * after the RAM:  the device-state area, at a multiple of 4 KiB: per entry name8, be32 instance,
 *                 be64 length, bytes
 * </pre>
 * Integers are big-endian except the bitmaps (little-endian 64-bit words), as in QEMU 10's
 * mapped-ram files; every offset is an absolute position in the file.
 */
public final class SnapshotFormat {

    /** The first eight bytes of a snapshot. */
    public static final String MAGIC = "MULTIFDS";
    /** The format version this library writes and reads. */
    public static final int VERSION = 1;
    /** The only codec: pages are stored as they are. */
    public static final String CODEC = "none";
    /** Page areas start at a multiple of this (1 MiB), as in QEMU's mapped-ram files. */
    public static final long PAGE_AREA_ALIGNMENT = 1L << 20;
    /** The mapped-ram block header: be32 version, be64 page size, be64 bitmap offset, be64 pages offset. */
    public static final int MAPPED_RAM_HEADER_LENGTH = 28;
    /** The mapped-ram block header version written and the highest one read. */
    public static final int MAPPED_RAM_HEADER_VERSION = 1;
    /** The device-state area starts at a multiple of this. */
    static final long DEVICE_AREA_ALIGNMENT = 4096;
    /** Headers longer than this are refused (4096 blocks of 255-byte names fit). */
    static final int MAX_HEADER_LENGTH = 4 << 20;

    private static final byte[] MAGIC_BYTES = MAGIC.getBytes(StandardCharsets.US_ASCII);
    private static final int FIXED = 8 + 4 + 4 + 4 + 4 + 8 + 8 + 8 + 4 + 4 + 8 + 4;

    private SnapshotFormat() {
    }

    /** One block as the header lists it. */
    record Entry(String name, long length, int pageSize, long recordOffset, int crc) {
    }

    /** The decoded header. */
    record Header(int pageSize, long ramBytes, String codec, long deviceOffset, long deviceLength,
                  int deviceCount, int deviceCrc, long endOffset, List<Entry> blocks, int length) {
    }

    /** Whether {@code b} (at least 8 bytes from its position) starts with the magic. */
    static boolean hasMagic(ByteBuffer b) {
        if (b.remaining() < MAGIC_BYTES.length) {
            return false;
        }
        for (int i = 0; i < MAGIC_BYTES.length; i++) {
            if (b.get(b.position() + i) != MAGIC_BYTES[i]) {
                return false;
            }
        }
        return true;
    }

    /** The header's length for these blocks. */
    static int headerLength(List<RamBlockInfo> blocks) {
        long n = FIXED + 1 + CODEC.length();
        for (RamBlockInfo b : blocks) {
            n += 1 + utf8(b.name()).length + 8 + 4 + 8 + 4;
        }
        return Math.toIntExact(n);
    }

    /** A block record's length: name8, be64 length, the mapped-ram header. */
    static int recordLength(String name) {
        return 1 + utf8(name).length + 8 + MAPPED_RAM_HEADER_LENGTH;
    }

    /**
     * Places the blocks: the first record right after the header, each page area at the next
     * multiple of 1 MiB, each next record right after the previous page area.
     */
    static List<SnapshotBlock> layout(long start, List<RamBlockInfo> blocks) {
        List<SnapshotBlock> out = new ArrayList<>(blocks.size());
        long pos = start + headerLength(blocks);
        for (RamBlockInfo b : blocks) {
            long bitmap = pos + recordLength(b.name());
            long pageCount = (b.length() + b.pageSize() - 1) / b.pageSize();
            long pages = roundUp(bitmap + (pageCount + 63) / 64 * 8, PAGE_AREA_ALIGNMENT);
            out.add(new SnapshotBlock(b.name(), b.length(), b.pageSize(), pos, bitmap, pages));
            pos = pages + b.length();
        }
        return out;
    }

    /** Where the device-state area starts, after the last block's pages. */
    static long deviceOffset(long start, List<SnapshotBlock> blocks) {
        long end = blocks.isEmpty() ? start : blocks.get(blocks.size() - 1).pagesEnd();
        return roundUp(end, DEVICE_AREA_ALIGNMENT);
    }

    /** A block record: name8, be64 length, then the 28-byte mapped-ram header. */
    static ByteBuffer encodeRecord(SnapshotBlock b) {
        byte[] name = utf8(b.name());
        ByteBuffer r = ByteBuffer.allocate(recordLength(b.name()));
        r.put((byte) name.length).put(name).putLong(b.length());
        r.putInt(MAPPED_RAM_HEADER_VERSION).putLong(b.pageSize()).putLong(b.bitmapOffset()).putLong(b.pagesOffset());
        return r.flip();
    }

    /** Encodes the header; its last four bytes are the CRC32C of everything before them. */
    static ByteBuffer encodeHeader(Header h) {
        List<RamBlockInfo> infos = new ArrayList<>();
        for (Entry e : h.blocks()) {
            infos.add(new RamBlockInfo(e.name(), e.length(), e.pageSize()));
        }
        int len = headerLength(infos);
        ByteBuffer b = ByteBuffer.allocate(len);
        b.put(MAGIC_BYTES).putInt(VERSION).putInt(len).putInt(h.pageSize()).putInt(h.blocks().size())
                .putLong(h.ramBytes());
        byte[] codec = utf8(h.codec());
        b.put((byte) codec.length).put(codec);
        b.putLong(h.deviceOffset()).putLong(h.deviceLength()).putInt(h.deviceCount()).putInt(h.deviceCrc())
                .putLong(h.endOffset());
        for (Entry e : h.blocks()) {
            byte[] name = utf8(e.name());
            b.put((byte) name.length).put(name).putLong(e.length()).putInt(e.pageSize()).putLong(e.recordOffset())
                    .putInt(e.crc());
        }
        b.putInt(crc(b.array(), 0, len - 4));
        return b.flip();
    }

    /**
     * Decodes a header (the buffer holds at least its first 16 bytes; {@code more} reads the rest).
     *
     * @throws SnapshotFormatException naming what is wrong
     */
    static Header decodeHeader(ByteBuffer all, long start) throws SnapshotFormatException {
        try {
            all.position(MAGIC_BYTES.length);
            int version = all.getInt();
            if (version != VERSION) {
                throw new SnapshotFormatException(SnapshotFormatException.Reason.UNSUPPORTED,
                        "snapshot format version " + version + " at offset " + start + " (this reader knows " + VERSION + ")");
            }
            int len = all.getInt();
            if (len != all.limit()) {
                throw new SnapshotFormatException(SnapshotFormatException.Reason.MALFORMED,
                        "header length " + len + " does not match the bytes read (" + all.limit() + ")");
            }
            int stored = all.getInt(len - 4);
            int actual = crc(all.array(), 0, len - 4);
            if (stored != actual) {
                throw new SnapshotFormatException(SnapshotFormatException.Reason.CHECKSUM_MISMATCH, String.format(
                        "header at offset %d: CRC32C stored %08x, computed %08x", start, stored, actual));
            }
            int pageSize = all.getInt();
            int count = all.getInt();
            long ram = all.getLong();
            String codec = name8(all);
            long devOff = all.getLong();
            long devLen = all.getLong();
            int devCount = all.getInt();
            int devCrc = all.getInt();
            long end = all.getLong();
            if (count < 0 || count > io.multifd.ram.RamSetupRecord.MAX_BLOCKS) {
                throw new SnapshotFormatException(SnapshotFormatException.Reason.MALFORMED, "block count " + count);
            }
            List<Entry> blocks = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                String name = name8(all);
                blocks.add(new Entry(name, all.getLong(), all.getInt(), all.getLong(), all.getInt()));
            }
            if (all.position() != len - 4) {
                throw new SnapshotFormatException(SnapshotFormatException.Reason.MALFORMED,
                        "header fields end at byte " + all.position() + " of a " + len + "-byte header");
            }
            checkFields(start, pageSize, ram, devLen, devCount, blocks);
            return new Header(pageSize, ram, codec, devOff, devLen, devCount, devCrc, end, List.copyOf(blocks), len);
        } catch (java.nio.BufferUnderflowException | IndexOutOfBoundsException e) {
            throw new SnapshotFormatException(SnapshotFormatException.Reason.MALFORMED,
                    "header at offset " + start + " ends inside a field");
        }
    }

    /**
     * The header's fields must agree with each other before any of them is used (its checksum
     * only says they were written together: a forged header can carry a correct one).
     */
    private static void checkFields(long start, int pageSize, long ram, long devLen, int devCount, List<Entry> blocks)
            throws SnapshotFormatException {
        String where = "header at offset " + start + ": ";
        if (!validPageSize(pageSize)) {
            throw malformed(where + "page size " + pageSize + " (a power of two from " + RamBlock.MIN_PAGE_SIZE + " to "
                    + RamBlock.MAX_PAGE_SIZE + ")");
        }
        long sum = 0;
        java.util.Set<String> names = new java.util.HashSet<>();
        for (Entry e : blocks) {
            if (e.name().isEmpty() || !names.add(e.name())) {
                throw malformed(where + "block name '" + e.name() + "' is empty or appears twice");
            }
            if (!validPageSize(e.pageSize())) {
                throw malformed(where + "block '" + e.name() + "' has page size " + e.pageSize() + " (a power of two from "
                        + RamBlock.MIN_PAGE_SIZE + " to " + RamBlock.MAX_PAGE_SIZE + ")");
            }
            if (e.length() <= 0) {
                throw malformed(where + "block '" + e.name() + "' has length " + e.length());
            }
            sum += e.length();
            if (sum < 0) {
                throw malformed(where + "block lengths overflow");
            }
        }
        if (sum != ram) {
            throw malformed(where + "RAM total " + ram + " bytes, but its blocks add up to " + sum);
        }
        if (devCount < 0 || devLen < 0) {
            throw malformed(where + "device-state area of " + devLen + " bytes with " + devCount + " entries");
        }
        // where the areas lie (before the start, overlapping, past the end) is checked with the records
    }

    private static boolean validPageSize(long p) {
        return p >= RamBlock.MIN_PAGE_SIZE && p <= RamBlock.MAX_PAGE_SIZE && Long.bitCount(p) == 1;
    }

    private static SnapshotFormatException malformed(String message) {
        return new SnapshotFormatException(SnapshotFormatException.Reason.MALFORMED, message);
    }

    /** The header's length field, at bytes 12..16 of the header. */
    static int declaredLength(ByteBuffer first16) {
        return first16.getInt(12);
    }

    /**
     * Reads a name: one length byte, then that many bytes of UTF-8, which must be valid and hold
     * no NUL (as a block's name, {@link io.multifd.ram.RamBlock}); a name that is not is damage, not
     * a name (decoding it leniently would let different bytes read as the same name).
     *
     * @throws SnapshotFormatException if the name runs past {@code b}, is not UTF-8 or holds a NUL
     */
    static String name8(ByteBuffer b) throws SnapshotFormatException {
        int n = b.get() & 0xff;
        if (n > b.remaining()) {
            throw new SnapshotFormatException(SnapshotFormatException.Reason.MALFORMED, "a name of " + n
                    + " bytes runs past the " + b.remaining() + " bytes left of its area");
        }
        byte[] s = new byte[n];
        b.get(s);
        String name = strictUtf8(s, "a name");
        if (name.indexOf('\0') >= 0) {
            throw new SnapshotFormatException(SnapshotFormatException.Reason.MALFORMED, "a name holds a NUL byte");
        }
        return name;
    }

    /**
     * Decodes UTF-8 strictly (this format's and QEMU's names): invalid bytes are damage.
     *
     * @param bytes the bytes
     * @param what  what they are, for the message (such as {@code a name at offset 120})
     * @return the text
     * @throws SnapshotFormatException if they are not valid UTF-8
     */
    static String strictUtf8(byte[] bytes, String what) throws SnapshotFormatException {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new SnapshotFormatException(SnapshotFormatException.Reason.MALFORMED, what + " is not valid UTF-8: "
                    + java.util.HexFormat.of().formatHex(bytes));
        }
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static int crc(byte[] a, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(a, off, len);
        return (int) c.getValue();
    }

    static long roundUp(long v, long alignment) {
        return (v + alignment - 1) / alignment * alignment;
    }
}
