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

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * Opens a snapshot file for reading: either a snapshot this library saved ({@link SnapshotWriter})
 * or a file QEMU saved with {@code migrate file:} and the {@code mapped-ram} capability (with or
 * without multifd). Both keep each RAM block as QEMU's mapped-ram layout has it: a record, a
 * bitmap of present pages and a 1 MiB-aligned page area, so the same {@link SnapshotRestore} reads
 * either.
 *
 * <p>{@link #open(FileChannel, long)} checks everything it can before any page is read: the header
 * and its checksum, each block's record against the header and its bitmap's checksum (snapshots
 * of this library), that no area lies before the start offset or past the end of the file, that
 * no two areas overlap, and that no bitmap marks a page past the end of its block; a problem is a
 * {@link SnapshotFormatException} naming its {@link Reason}. It only reads; bytes of the file before
 * the start offset are never read or written.
 *
 * <p>Thread-safe after {@code open} returned: the reader is immutable and reads with positional
 * reads only. The reader owns the channel when it opened it ({@link #open(Path)}); otherwise
 * {@link #close()} leaves the caller's channel open.
 */
public final class SnapshotReader implements Closeable {

    /** Which kind of file was opened. */
    public enum Format {
        /** A snapshot saved by this library (magic {@value SnapshotFormat#MAGIC}). */
        MULTIFD,
        /** A QEMU migration stream saved with the {@code mapped-ram} capability. */
        QEMU_MAPPED_RAM
    }

    /**
     * One device's saved state.
     *
     * @param name     the device's name, as the saver gave it
     * @param instance the device's instance number
     * @param data     the state, a read-only buffer owned by the caller
     */
    public record DeviceState(String name, int instance, ByteBuffer data) {
    }

    private final FileChannel file;
    private final boolean ownsFile;
    private final Format format;
    private final long start;
    private final long end;
    private final List<SnapshotBlock> blocks;
    private final Map<String, long[]> bitmaps;
    private final SnapshotFormat.Header header;
    private final String machineType;

    private SnapshotReader(FileChannel file, boolean ownsFile, Format format, long start, long end,
                           List<SnapshotBlock> blocks, Map<String, long[]> bitmaps, SnapshotFormat.Header header,
                           String machineType) {
        this.file = file;
        this.ownsFile = ownsFile;
        this.format = format;
        this.start = start;
        this.end = end;
        this.blocks = blocks;
        this.bitmaps = bitmaps;
        this.header = header;
        this.machineType = machineType;
    }

    /**
     * Opens a file whose snapshot starts at its first byte; the reader owns the channel it opens.
     *
     * @param path the file
     * @return the reader
     * @throws SnapshotFormatException naming what is wrong with the file
     * @throws IOException             if the file cannot be opened or read
     */
    public static SnapshotReader open(Path path) throws IOException {
        return open(path, 0);
    }

    /**
     * Opens a file whose snapshot starts at byte {@code start}; the reader owns the channel it opens.
     *
     * @param path  the file
     * @param start where the snapshot starts (0 for a file of its own)
     * @return the reader
     * @throws SnapshotFormatException naming what is wrong with the file
     * @throws IOException             if the file cannot be opened or read
     */
    public static SnapshotReader open(Path path, long start) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        try {
            return open(ch, start, true);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /**
     * Opens the snapshot that starts at byte {@code start} of an open channel. The caller keeps
     * owning the channel and closes it after the reader is no longer used.
     *
     * @param file  a channel open for reading
     * @param start where the snapshot starts
     * @return the reader
     * @throws SnapshotFormatException naming what is wrong with the file
     * @throws IOException             if the file cannot be read
     */
    public static SnapshotReader open(FileChannel file, long start) throws IOException {
        return open(file, start, false);
    }

    /** {@link #open(FileChannel, long)} with the bitmaps' heap budget given (tests). */
    static SnapshotReader open(FileChannel file, long start, long bitmapBudget) throws IOException {
        return open(file, start, false, bitmapBudget);
    }

    private static SnapshotReader open(FileChannel file, long start, boolean owns) throws IOException {
        return open(file, start, owns, defaultBitmapBudget());
    }

    private static SnapshotReader open(FileChannel file, long start, boolean owns, long bitmapBudget)
            throws IOException {
        Objects.requireNonNull(file, "file");
        if (start < 0) {
            throw new IllegalArgumentException("negative start offset " + start);
        }
        long size = file.size();
        if (size - start < 16) {
            throw new SnapshotFormatException(size <= start ? Reason.NOT_A_SNAPSHOT : Reason.TRUNCATED,
                    size <= start ? "the file ends at byte " + size + ", at or before the start offset " + start
                            : "the file has " + (size - start) + " bytes from offset " + start);
        }
        ByteBuffer first = ByteBuffer.allocate(16);
        readFully(file, first, start);
        first.flip();
        if (SnapshotFormat.hasMagic(first)) {
            return openMultifd(file, start, owns, size, first, bitmapBudget);
        }
        if (first.getInt(0) == QemuStreamParser.FILE_MAGIC) {
            QemuStreamParser.Result r = QemuStreamParser.parse(file, start);
            Map<String, long[]> bitmaps = new LinkedHashMap<>();
            List<long[]> areas = new ArrayList<>();
            areas.add(new long[]{start, r.blocks().isEmpty() ? start + 1 : r.blocks().get(0).recordOffset()});
            for (SnapshotBlock b : r.blocks()) {
                areas.add(new long[]{b.recordOffset(), b.bitmapOffset() + b.bitmapLength()});
                areas.add(new long[]{b.pagesOffset(), b.pagesEnd()});
            }
            checkAreas(start, size, areas, r.blocks());
            checkBitmapsFit(r.blocks(), bitmapBudget);
            for (SnapshotBlock b : r.blocks()) {
                bitmaps.put(b.name(), readBitmap(file, b, size, null, true));
            }
            return new SnapshotReader(file, owns, Format.QEMU_MAPPED_RAM, start, r.endOffset(), r.blocks(), bitmaps,
                    null, r.machineType());
        }
        boolean zero = first.getLong(0) == 0 && first.getLong(8) == 0;
        throw new SnapshotFormatException(zero ? Reason.INCOMPLETE : Reason.NOT_A_SNAPSHOT, zero
                ? "no header at offset " + start + " (zeros): the save did not complete, or the start offset is wrong"
                : "neither a snapshot (\"" + SnapshotFormat.MAGIC + "\") nor a QEMU stream (\"QEVM\") at offset " + start);
    }

    private static SnapshotReader openMultifd(FileChannel file, long start, boolean owns, long size, ByteBuffer first,
                                              long bitmapBudget) throws IOException {
        int len = SnapshotFormat.declaredLength(first);
        if (len < 16 || len > SnapshotFormat.MAX_HEADER_LENGTH) {
            throw new SnapshotFormatException(Reason.MALFORMED, "header length " + len + " at offset " + start);
        }
        if (size - start < len) {
            throw new SnapshotFormatException(Reason.TRUNCATED, "the " + len + "-byte header at offset " + start
                    + " runs past the end of the file (" + size + " bytes)");
        }
        ByteBuffer all = ByteBuffer.allocate(len);
        readFully(file, all, start);
        SnapshotFormat.Header h = SnapshotFormat.decodeHeader(all, start);
        if (!SnapshotFormat.CODEC.equals(h.codec())) {
            throw new SnapshotFormatException(Reason.UNSUPPORTED, "codec '" + h.codec() + "' (this reader knows '"
                    + SnapshotFormat.CODEC + "')");
        }
        if (h.endOffset() > size) {
            throw new SnapshotFormatException(Reason.TRUNCATED, "the snapshot needs the file up to byte "
                    + h.endOffset() + "; it ends at " + size);
        }
        // first the areas the header alone places: header, records with their bitmaps, device state
        List<long[]> areas = new ArrayList<>();
        areas.add(new long[]{start, start + len});
        for (SnapshotFormat.Entry e : h.blocks()) {
            long bitmapLength = ((e.length() + e.pageSize() - 1) / e.pageSize() + 63) / 64 * 8;
            areas.add(new long[]{e.recordOffset(), e.recordOffset() + SnapshotFormat.recordLength(e.name()) + bitmapLength});
        }
        if (h.deviceLength() > 0) {
            areas.add(new long[]{h.deviceOffset(), h.deviceOffset() + h.deviceLength()});
        }
        checkAreas(start, h.endOffset(), areas, List.of());
        // then the page areas the records place, before any bitmap is trusted
        List<SnapshotBlock> blocks = new ArrayList<>();
        for (SnapshotFormat.Entry e : h.blocks()) {
            SnapshotBlock b = readRecord(file, e);
            blocks.add(b);
            areas.add(new long[]{b.pagesOffset(), b.pagesEnd()});
        }
        checkAreas(start, h.endOffset(), areas, blocks);
        checkBitmapsFit(blocks, bitmapBudget);
        Map<String, long[]> bitmaps = new LinkedHashMap<>();
        for (int i = 0; i < blocks.size(); i++) {
            SnapshotBlock b = blocks.get(i);
            int stored = h.blocks().get(i).crc();
            CRC32C crc = new CRC32C();
            crc.update(SnapshotFormat.encodeRecord(b));
            long[] words = readBitmap(file, b, h.endOffset(), crc, false);
            if ((int) crc.getValue() != stored) {
                throw new SnapshotFormatException(Reason.CHECKSUM_MISMATCH, String.format("record and bitmap of block "
                        + "'%s': CRC32C stored %08x, computed %08x", b.name(), stored, (int) crc.getValue()));
            }
            checkBitmapEnd(b, words);
            bitmaps.put(b.name(), words);
        }
        return new SnapshotReader(file, owns, Format.MULTIFD, start, h.endOffset(), List.copyOf(blocks), bitmaps, h,
                null);
    }

    private static SnapshotBlock readRecord(FileChannel file, SnapshotFormat.Entry e) throws IOException {
        int n = SnapshotFormat.recordLength(e.name());
        ByteBuffer r = ByteBuffer.allocate(n);
        readFully(file, r, e.recordOffset());
        r.flip();
        String name = SnapshotFormat.name8(r);
        if (!name.equals(e.name())) {
            throw new SnapshotFormatException(Reason.MALFORMED, "the record at offset " + e.recordOffset()
                    + " names block '" + name + "', the header '" + e.name() + "'");
        }
        long length = r.getLong();
        int version = r.getInt();
        long pageSize = r.getLong();
        long bitmap = r.getLong();
        long pages = r.getLong();
        if (version < 1 || version > SnapshotFormat.MAPPED_RAM_HEADER_VERSION) {
            throw new SnapshotFormatException(Reason.UNSUPPORTED, "mapped-ram header version " + version + " of block '"
                    + name + "'");
        }
        if (length != e.length() || pageSize != e.pageSize()) {
            throw new SnapshotFormatException(Reason.MALFORMED, "block '" + name + "': the record says " + length
                    + " bytes in pages of " + pageSize + ", the header " + e.length() + " in pages of " + e.pageSize());
        }
        if (bitmap != e.recordOffset() + n) {
            throw new SnapshotFormatException(Reason.MALFORMED, "block '" + name + "': bitmap offset " + bitmap
                    + " is not right after its record (" + (e.recordOffset() + n) + ")");
        }
        if (pages < 0 || pages % SnapshotFormat.PAGE_AREA_ALIGNMENT != 0) {
            throw new SnapshotFormatException(Reason.MALFORMED, "block '" + name + "': page area offset " + pages
                    + " is not a non-negative multiple of 1 MiB");
        }
        return new SnapshotBlock(name, length, e.pageSize(), e.recordOffset(), bitmap, pages);
    }

    /** The largest piece of a bitmap read at once: reads reuse one buffer of this size. */
    private static final int BITMAP_CHUNK = 1 << 20;

    /**
     * Reads a bitmap (little-endian 64-bit words) and checks that it marks no page past the block.
     * The words are the only allocation as large as the bitmap; the file is read in pieces of at most
     * {@value #BITMAP_CHUNK} bytes ({@link #checkBitmapsFit} has bounded the total beforehand).
     */
    private static long[] readBitmap(FileChannel file, SnapshotBlock b, long limit, CRC32C crc, boolean checkEnd)
            throws IOException {
        long bytes = b.bitmapLength();
        if (b.bitmapOffset() + bytes > limit) {
            throw new SnapshotFormatException(Reason.TRUNCATED, "the bitmap of block '" + b.name() + "' ends at byte "
                    + (b.bitmapOffset() + bytes) + ", past the end at " + limit);
        }
        if (bytes > Integer.MAX_VALUE - 8) {
            throw new SnapshotFormatException(Reason.MALFORMED, "block '" + b.name() + "' of " + b.length()
                    + " bytes has a bitmap too long to read");
        }
        long[] words = new long[(int) (bytes / 8)];
        ByteBuffer chunk = ByteBuffer.allocate((int) Math.min(bytes, BITMAP_CHUNK)).order(ByteOrder.LITTLE_ENDIAN);
        for (long done = 0; done < bytes; ) {
            chunk.clear().limit((int) Math.min(chunk.capacity(), bytes - done));
            readFully(file, chunk, b.bitmapOffset() + done);
            chunk.flip();
            if (crc != null) {
                crc.update(chunk.duplicate());
            }
            chunk.asLongBuffer().get(words, (int) (done / 8), chunk.remaining() / 8);
            done += chunk.remaining();
        }
        if (checkEnd) {
            checkBitmapEnd(b, words);
        }
        return words;
    }

    /**
     * Refuses, by name, bitmaps that together would take more than {@code budget} bytes of heap,
     * rather than let reading them fail with {@code OutOfMemoryError}: a sparse file of a few
     * kilobytes on disk can declare a block of terabytes in 512-byte pages.
     */
    private static void checkBitmapsFit(List<SnapshotBlock> blocks, long budget) throws SnapshotFormatException {
        long total = 0;
        for (SnapshotBlock b : blocks) {
            total += b.bitmapLength();
            if (total > budget) {
                throw new SnapshotFormatException(Reason.UNSUPPORTED, String.format("the bitmaps of the file's blocks "
                        + "need at least %d bytes of heap (up to block '%s': %d bytes in %d-byte pages); this reader "
                        + "holds at most %d, a quarter of the JVM's heap limit (raise -Xmx if the blocks are real)",
                        total, b.name(), b.length(), b.pageSize(), budget));
            }
        }
    }

    /** A quarter of the heap limit: the most all bitmaps of one file may take. */
    private static long defaultBitmapBudget() {
        return Runtime.getRuntime().maxMemory() / 4;
    }

    private static void checkBitmapEnd(SnapshotBlock b, long[] words) throws SnapshotFormatException {
        long pages = b.pageCount();
        if (pages % 64 != 0 && words.length > 0) {
            long extra = words[words.length - 1] >>> (pages % 64);
            if (extra != 0) {
                long page = (pages / 64) * 64 + (pages % 64) + Long.numberOfTrailingZeros(extra);
                throw new SnapshotFormatException(Reason.BITMAP_PAST_END, "the bitmap of block '" + b.name()
                        + "' marks page " + page + "; the block has " + pages + " pages");
            }
        }
    }

    /** No area before the start, past the end, or overlapping another. */
    private static void checkAreas(long start, long end, List<long[]> areas, List<SnapshotBlock> blocks)
            throws SnapshotFormatException {
        List<long[]> sorted = new ArrayList<>(areas);
        sorted.sort(Comparator.comparingLong(a -> a[0]));
        long prevEnd = start;
        long[] prev = null;
        for (long[] a : sorted) {
            if (a[0] < start) {
                throw new SnapshotFormatException(Reason.OVERLAPPING_AREAS, "an area at offset " + a[0]
                        + " lies before the snapshot's start offset " + start);
            }
            if (a[1] < a[0]) { // its end overflowed: a length no file can hold
                throw new SnapshotFormatException(Reason.MALFORMED, "an area at offset " + a[0]
                        + " is longer than any file can be");
            }
            if (a[1] > end) {
                throw new SnapshotFormatException(Reason.TRUNCATED, "the area [" + a[0] + ", " + a[1]
                        + ") ends past the snapshot's end at " + end);
            }
            if (prev != null && a[0] < prevEnd) {
                throw new SnapshotFormatException(Reason.OVERLAPPING_AREAS, "areas [" + prev[0] + ", " + prev[1]
                        + ") and [" + a[0] + ", " + a[1] + ") overlap" + (blocks.isEmpty() ? "" : " (blocks "
                        + blocks.stream().map(SnapshotBlock::name).toList() + ")"));
            }
            if (a[1] > prevEnd || prev == null) {
                prev = a;
                prevEnd = Math.max(prevEnd, a[1]);
            }
        }
    }

    static void readFully(FileChannel file, ByteBuffer b, long at) throws IOException {
        long p = at;
        while (b.hasRemaining()) {
            int r = file.read(b, p);
            if (r < 0) {
                throw new EOFException("end of file at offset " + p);
            }
            p += r;
        }
    }

    /** Which kind of file this is. */
    public Format format() {
        return format;
    }

    /** Where the snapshot starts in the file. */
    public long startOffset() {
        return start;
    }

    /** The first byte after the snapshot (for a QEMU file: the end of the file). */
    public long endOffset() {
        return end;
    }

    /** The machine type a QEMU stream names, if any (empty for this library's snapshots). */
    public Optional<String> machineType() {
        return Optional.ofNullable(machineType);
    }

    /** The RAM blocks in the file, in file order. */
    public List<SnapshotBlock> blocks() {
        return blocks;
    }

    /**
     * The block named {@code name}.
     *
     * @param name a block name
     * @return the block, or empty if the file has none of that name
     */
    public Optional<SnapshotBlock> block(String name) {
        return blocks.stream().filter(b -> b.name().equals(name)).findFirst();
    }

    /** The sum of the blocks' lengths. */
    public long ramBytes() {
        long n = 0;
        for (SnapshotBlock b : blocks) {
            n += b.length();
        }
        return n;
    }

    /**
     * Whether page {@code page} of a block is in the file (else it is a zero page).
     *
     * @param block one of {@link #blocks()}
     * @param page  a page index below the block's page count
     * @return true if the page's bit is set
     */
    public boolean isPresent(SnapshotBlock block, long page) {
        Objects.checkIndex(page, block.pageCount());
        return (bitmap(block)[(int) (page >>> 6)] & (1L << (page & 63))) != 0;
    }

    /**
     * The number of pages of a block that are in the file.
     *
     * @param block one of {@link #blocks()}
     * @return the number of set bits of its bitmap
     */
    public long presentPages(SnapshotBlock block) {
        long n = 0;
        for (long w : bitmap(block)) {
            n += Long.bitCount(w);
        }
        return n;
    }

    /**
     * The bytes of the snapshot that hold data: everything from the start offset to the end
     * except the zero pages (holes) and the padding before each page area. On a file system with
     * sparse files this is what the snapshot allocates (what {@code du} reports), up to the file
     * system's block rounding.
     *
     * @return the data bytes
     */
    public long dataBytes() {
        long n = end - start;
        for (SnapshotBlock b : blocks) {
            n -= b.pagesOffset() - (b.bitmapOffset() + b.bitmapLength());
            long[] words = bitmap(b);
            long pages = b.pageCount();
            for (long p = 0; p < pages; p++) {
                if ((words[(int) (p >>> 6)] & (1L << (p & 63))) == 0) {
                    n -= Math.min(b.pageSize(), b.length() - p * b.pageSize());
                }
            }
        }
        return n;
    }

    /** The block's bitmap words (the reader's own array: do not modify). */
    long[] bitmap(SnapshotBlock block) {
        long[] w = bitmaps.get(block.name());
        if (w == null) {
            throw new IllegalArgumentException("block '" + block.name() + "' is not in this snapshot");
        }
        return w;
    }

    /** The channel the pages are read from. */
    FileChannel channel() {
        return file;
    }

    /**
     * Reads the device-state area: one entry per device, in the order the saver added them. A
     * QEMU file's device state is in QEMU's own stream format and is not returned (empty list).
     *
     * @return the device states, each a read-only buffer owned by the caller
     * @throws SnapshotFormatException if the area's checksum or an entry's length is wrong, or a
     *                                 device (name and instance) appears twice
     * @throws IOException             if it cannot be read
     */
    public List<DeviceState> deviceStates() throws IOException {
        if (header == null || header.deviceLength() == 0) {
            return List.of();
        }
        if (header.deviceLength() > Integer.MAX_VALUE - 8) {
            throw new SnapshotFormatException(Reason.MALFORMED, "device-state area of " + header.deviceLength() + " bytes");
        }
        ByteBuffer area = ByteBuffer.allocate((int) header.deviceLength());
        readFully(file, area, header.deviceOffset());
        area.flip();
        CRC32C crc = new CRC32C();
        crc.update(area.duplicate());
        if ((int) crc.getValue() != header.deviceCrc()) {
            throw new SnapshotFormatException(Reason.CHECKSUM_MISMATCH, String.format("device-state area: CRC32C "
                    + "stored %08x, computed %08x", header.deviceCrc(), (int) crc.getValue()));
        }
        List<DeviceState> out = new ArrayList<>(header.deviceCount());
        java.util.Set<String> seen = new java.util.HashSet<>();
        try {
            for (int i = 0; i < header.deviceCount(); i++) {
                String name = SnapshotFormat.name8(area);
                int instance = area.getInt();
                if (!seen.add(instance + ":" + name)) {
                    throw new SnapshotFormatException(Reason.MALFORMED, "device state '" + name + "' instance " + instance
                            + " appears twice (entry " + i + ")");
                }
                long n = area.getLong();
                if (n < 0 || n > area.remaining()) {
                    throw new SnapshotFormatException(Reason.MALFORMED, "device state '" + name + "' of " + n
                            + " bytes runs past its area");
                }
                ByteBuffer data = area.slice(area.position(), (int) n).asReadOnlyBuffer();
                area.position(area.position() + (int) n);
                out.add(new DeviceState(name, instance, data));
            }
        } catch (java.nio.BufferUnderflowException e) {
            throw new SnapshotFormatException(Reason.MALFORMED, "device-state area ends inside entry " + out.size());
        }
        return List.copyOf(out);
    }

    /** Closes the channel if this reader opened it. */
    @Override
    public void close() throws IOException {
        if (ownsFile) {
            file.close();
        }
    }

    @Override
    public String toString() {
        return "SnapshotReader[" + format + ", start=" + start + ", blocks=" + blocks.stream().map(SnapshotBlock::name).toList() + "]";
    }
}
