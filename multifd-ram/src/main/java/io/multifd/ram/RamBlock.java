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

import io.multifd.ram.internal.RamAccess;
import io.multifd.ram.internal.ZeroPages;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A named region of memory that migrates page by page: what QEMU calls a RAMBlock.
 *
 * <h2>Shape</h2>
 * A block has a {@linkplain #name() name} (1 to {@value #MAX_NAME_LENGTH} bytes of UTF-8, unique
 * within a migration), a {@linkplain #length() length} in bytes that may exceed 2 GiB, and a
 * {@linkplain #pageSize() page size}: a power of two from {@value #MIN_PAGE_SIZE} bytes to
 * {@value #MAX_PAGE_SIZE} bytes (2 MiB), {@value #DEFAULT_PAGE_SIZE} by default. Pages are the unit
 * of transfer, of zero-page detection and of dirty tracking: page {@code i} starts at byte offset
 * {@code i * pageSize}.
 *
 * <p><b>A length that is not a multiple of the page size</b> (an image file of odd size) ends
 * with one <em>partial page</em>: {@link #pageCount()} is {@code ceil(length / pageSize)}, the last
 * page starts at {@code (pageCount - 1) * pageSize} and is {@code length % pageSize} bytes long
 * ({@link #pageLength(long)}). It travels like every other page, with exactly its own length of
 * data (and is a zero page if those bytes are zero); nothing beyond {@link #length()} is ever read
 * or written.
 *
 * <h2>Memory</h2>
 * A single {@link ByteBuffer} stops short of 2 GiB, so a block is backed by direct-buffer
 * <em>segments</em> of {@link #segmentSize()} bytes each (1 GiB by default; a power of two from
 * 2 MiB to 1 GiB, so a multiple of every page size and no page ever spans two segments); the last
 * segment holds the rest. A block is made in one of three ways:
 * <ul>
 *   <li>{@link #allocate(String, long, int)}: fresh direct memory, zero-filled;</li>
 *   <li>{@link #wrap(String, ByteBuffer, int)}: an existing direct buffer (one segment, so less
 *       than 2 GiB), e.g. memory the product already manages;</li>
 *   <li>{@link #map(String, Path, long, int, boolean)} or
 *       {@link #map(String, FileChannel, long, long, int, FileChannel.MapMode)}: a file, mapped
 *       segment by segment with {@link FileChannel#map}. A file shorter than the block is
 *       extended sparsely (its size is set; no byte is written), and nothing is read or written
 *       beyond what the migration needs, so a sparse file stays sparse except where pages with
 *       data arrive.</li>
 * </ul>
 *
 * <h2>Ownership and threads</h2>
 * The block object is immutable and thread-safe; the <em>memory</em> behind it is shared and
 * unsynchronized. On the sender the product owns the memory and may keep writing it while it
 * migrates (a page written during a round must be marked in a {@link DirtyBitmap} after the
 * write, so it is sent again); the library only reads it, from the channel threads. On the
 * receiver the library writes the memory from the channel threads, each page from one thread at a
 * time, and the product must not touch it until the migration completed
 * ({@code MultiFdReceiver.await()} returned). The accessors below ({@link #get(long)},
 * {@link #put(long, byte[], int, int)}, ...) use absolute positions and never change shared state,
 * so they may be called from any thread; they are for setting up, checking and tests, not for a
 * hot path.
 *
 * <p>Direct and mapped memory is released when the block becomes unreachable (the JDK offers no
 * explicit unmap); {@link #force()} writes a mapped block's changes back to its file.
 */
public final class RamBlock {

    /** The default page size: 4 KiB. */
    public static final int DEFAULT_PAGE_SIZE = 4096;
    /** The smallest page size: 512 bytes. */
    public static final int MIN_PAGE_SIZE = 512;
    /** The largest page size: 2 MiB. */
    public static final int MAX_PAGE_SIZE = 2 << 20;
    /** The longest name, in bytes of UTF-8. */
    public static final int MAX_NAME_LENGTH = 255;
    /** The default segment size: 1 GiB. */
    public static final long DEFAULT_SEGMENT_SIZE = 1L << 30;
    /** The smallest segment size: 2 MiB, the largest page size. */
    public static final long MIN_SEGMENT_SIZE = MAX_PAGE_SIZE;
    /** The largest segment size: 1 GiB. */
    public static final long MAX_SEGMENT_SIZE = 1L << 30;
    /** The longest block: 2^52 bytes (4 PiB), far beyond any memory, so that counts never overflow. */
    public static final long MAX_LENGTH = 1L << 52;

    /** An int of a page, read and written back in one atomic instruction (so one write fault). */
    private static final java.lang.invoke.VarHandle TOUCH =
            java.lang.invoke.MethodHandles.byteBufferViewVarHandle(int[].class, java.nio.ByteOrder.nativeOrder());

    static {
        RamAccess.install(new RamBlockAccess());
    }

    private final String name;
    private final byte[] nameBytes;
    private final long length;
    private final int pageSize;
    private final int pageShift;
    private final int segmentShift;
    private final long segmentMask;
    private final ByteBuffer[] segments;
    private final boolean mapped;
    private final boolean readOnly;

    /** For the factories here and {@link FreshMemory}: the arguments are checked. */
    RamBlock(String name, long length, int pageSize, int segmentShift, ByteBuffer[] segments,
             boolean mapped, boolean readOnly) {
        this.name = name;
        this.nameBytes = name.getBytes(StandardCharsets.UTF_8);
        this.length = length;
        this.pageSize = pageSize;
        this.pageShift = Integer.numberOfTrailingZeros(pageSize);
        this.segmentShift = segmentShift;
        this.segmentMask = (1L << segmentShift) - 1;
        this.segments = segments;
        this.mapped = mapped;
        this.readOnly = readOnly;
    }

    // ---------------------------------------------------------------- factories

    /**
     * Allocates a block of fresh, zero-filled direct memory with 4 KiB pages.
     *
     * @param name   the block name
     * @param length its length in bytes, at least 1
     * @return the block, owned by the caller
     * @throws IllegalArgumentException if an argument is out of range
     * @throws OutOfMemoryError         if direct memory is exhausted
     */
    public static RamBlock allocate(String name, long length) {
        return allocate(name, length, DEFAULT_PAGE_SIZE, DEFAULT_SEGMENT_SIZE);
    }

    /**
     * Allocates a block of fresh, zero-filled direct memory.
     *
     * @param name     the block name
     * @param length   its length in bytes, at least 1
     * @param pageSize a power of two from {@value #MIN_PAGE_SIZE} to {@value #MAX_PAGE_SIZE}
     * @return the block, owned by the caller
     * @throws IllegalArgumentException if an argument is out of range
     */
    public static RamBlock allocate(String name, long length, int pageSize) {
        return allocate(name, length, pageSize, DEFAULT_SEGMENT_SIZE);
    }

    /**
     * Allocates a block of fresh, zero-filled direct memory, in segments of the given size.
     *
     * @param name        the block name
     * @param length      its length in bytes, at least 1
     * @param pageSize    a power of two from {@value #MIN_PAGE_SIZE} to {@value #MAX_PAGE_SIZE}
     * @param segmentSize a power of two from {@value #MIN_SEGMENT_SIZE} to {@value #MAX_SEGMENT_SIZE}
     * @return the block, owned by the caller
     * @throws IllegalArgumentException if an argument is out of range
     */
    public static RamBlock allocate(String name, long length, int pageSize, long segmentSize) {
        RamBlockChecks.checkBlock(name, length, pageSize);
        int shift = RamBlockChecks.segmentShift(segmentSize);
        ByteBuffer[] segs = new ByteBuffer[RamBlockChecks.segmentCount(length, shift)];
        for (int i = 0; i < segs.length; i++) {
            segs[i] = ByteBuffer.allocateDirect(RamBlockChecks.segmentLength(length, shift, i));
        }
        return new RamBlock(name, length, pageSize, shift, segs, false, false);
    }

    /**
     * Makes a block of an existing direct buffer: the bytes from its position to its limit. The
     * buffer's position and limit are not changed; the block keeps a view of it.
     *
     * @param name     the block name
     * @param memory   a direct buffer with at least one byte remaining; the memory stays owned by
     *                 the caller, who must keep it alive and follow the rules in the class
     *                 documentation while it migrates
     * @param pageSize a power of two from {@value #MIN_PAGE_SIZE} to {@value #MAX_PAGE_SIZE}
     * @return the block
     * @throws IllegalArgumentException if the buffer is not direct or empty, or an argument is out
     *                                  of range
     */
    public static RamBlock wrap(String name, ByteBuffer memory, int pageSize) {
        RamBlockChecks.checkName(name);
        Objects.requireNonNull(memory, "memory");
        if (!memory.isDirect()) {
            throw new IllegalArgumentException("memory of block '" + name + "' must be a direct buffer");
        }
        RamBlockChecks.checkPageSize(pageSize);
        int len = memory.remaining();
        RamBlockChecks.checkLength(len);
        ByteBuffer seg = memory.slice();
        // one segment of up to 2^31 - 1 bytes; offsets below 2^31 all land in segment 0
        return new RamBlock(name, len, pageSize, 31, new ByteBuffer[]{seg}, seg instanceof MappedByteBuffer,
                memory.isReadOnly());
    }

    /**
     * Maps a file as a block, segment by segment (1 GiB segments). Opens the file, maps it and
     * closes the file channel again (the mappings stay valid).
     *
     * <p>{@code writable}: the file is opened for reading and writing (created if absent) and, if
     * it is shorter than {@code length}, extended <em>sparsely</em> to {@code length} (its size is
     * set; no byte is written, so no disk block is allocated). This is how a receiver writes into
     * an image file. Otherwise the file is opened read-only and must be at least {@code length}
     * bytes long: a sender reading an image file.
     *
     * @param name     the block name
     * @param file     the file
     * @param length   the block length, at least 1
     * @param pageSize a power of two from {@value #MIN_PAGE_SIZE} to {@value #MAX_PAGE_SIZE}
     * @param writable true to map read-write (extending the file), false to map read-only
     * @return the block
     * @throws IOException              if the file cannot be opened, extended or mapped, or is too
     *                                  short for a read-only mapping
     * @throws IllegalArgumentException if an argument is out of range
     */
    public static RamBlock map(String name, Path file, long length, int pageSize, boolean writable)
            throws IOException {
        RamBlockChecks.checkBlock(name, length, pageSize);
        Objects.requireNonNull(file, "file");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), writable ? "rw" : "r")) {
            if (writable && raf.length() < length) {
                raf.setLength(length); // ftruncate: sparse, unlike FileChannel.map's own extension
            }
            return map(name, raf.getChannel(), 0, length, pageSize,
                    writable ? FileChannel.MapMode.READ_WRITE : FileChannel.MapMode.READ_ONLY);
        }
    }

    /**
     * Maps a region of an open file as a block, in 1 GiB segments. The channel may be closed
     * afterwards; the mappings stay valid.
     *
     * <p>The region {@code [position, position + length)} must lie within the file: extend the file
     * first if needed (with {@link RandomAccessFile#setLength(long)}, which keeps it sparse;
     * {@link FileChannel#map} would otherwise extend it by allocating every block).
     *
     * @param name     the block name
     * @param channel  an open file channel, readable (and opened for writing for {@code READ_WRITE}
     *                 and {@code PRIVATE}, although {@code PRIVATE} never writes the file)
     * @param position where the block starts in the file; a multiple of the page size
     * @param length   the block length, at least 1
     * @param pageSize a power of two from {@value #MIN_PAGE_SIZE} to {@value #MAX_PAGE_SIZE}
     * @param mode     {@link FileChannel.MapMode#READ_ONLY}, {@link FileChannel.MapMode#READ_WRITE}
     *                 (writes reach the file) or {@link FileChannel.MapMode#PRIVATE} (copy-on-write:
     *                 the block is writable, the file is never changed; pages are copied only when
     *                 first written, so a large image costs memory only for what changes)
     * @return the block
     * @throws IOException              if the region is outside the file or mapping fails
     * @throws IllegalArgumentException if an argument is out of range
     */
    public static RamBlock map(String name, FileChannel channel, long position, long length, int pageSize,
                               FileChannel.MapMode mode) throws IOException {
        RamBlockChecks.checkBlock(name, length, pageSize);
        Objects.requireNonNull(channel, "channel");
        if (mode != FileChannel.MapMode.READ_ONLY && mode != FileChannel.MapMode.READ_WRITE
                && mode != FileChannel.MapMode.PRIVATE) {
            throw new IllegalArgumentException("map mode must be READ_ONLY, READ_WRITE or PRIVATE: " + mode);
        }
        if (position < 0 || (position & (pageSize - 1)) != 0) {
            throw new IllegalArgumentException("position " + position + " of block '" + name
                    + "' must be a non-negative multiple of the page size " + pageSize);
        }
        long size = channel.size();
        if (position > size || length > size - position) {
            throw new IOException("block '" + name + "': region [" + position + ", " + (position + length)
                    + ") lies beyond the end of the file (size " + size + ")");
        }
        int shift = RamBlockChecks.segmentShift(DEFAULT_SEGMENT_SIZE);
        ByteBuffer[] segs = new ByteBuffer[RamBlockChecks.segmentCount(length, shift)];
        for (int i = 0; i < segs.length; i++) {
            segs[i] = channel.map(mode, position + ((long) i << shift),
                    RamBlockChecks.segmentLength(length, shift, i));
        }
        return new RamBlock(name, length, pageSize, shift, segs, true, mode == FileChannel.MapMode.READ_ONLY);
    }

    // ---------------------------------------------------------------- shape

    /** The block name. */
    public String name() {
        return name;
    }

    /** The length in bytes. */
    public long length() {
        return length;
    }

    /** The page size in bytes: a power of two. */
    public int pageSize() {
        return pageSize;
    }

    /** The number of pages: {@code ceil(length / pageSize)} (the last one may be partial). */
    public long pageCount() {
        return (length + pageSize - 1) >>> pageShift;
    }

    /**
     * Returns the length of the page that starts at {@code offset}: the page size, or less for the
     * last page of a block whose length is not a multiple of the page size.
     *
     * @param offset a page-aligned offset below {@link #length()}
     * @return the page's length in bytes
     * @throws IndexOutOfBoundsException if the offset is outside the block or not page-aligned
     */
    public int pageLength(long offset) {
        if (offset < 0 || offset >= length || (offset & (pageSize - 1)) != 0) {
            throw new IndexOutOfBoundsException("offset " + offset + " is not a page of block '" + name
                    + "' (length " + length + ", page size " + pageSize + ")");
        }
        return (int) Math.min(pageSize, length - offset);
    }

    /** The segment size in bytes (a power of two; the last segment may be shorter). */
    public long segmentSize() {
        return 1L << segmentShift;
    }

    /** The number of segments. */
    public int segmentCount() {
        return segments.length;
    }

    /**
     * True if the block is a file mapping: made by {@code map}. For a block made by
     * {@link #wrap}, true if the wrapped buffer is a {@link MappedByteBuffer}, which on the JDK
     * is every direct buffer (the JDK has no public way to tell a file mapping from other direct
     * memory), so there it says only that the memory is outside the heap.
     *
     * @return whether the block's memory is (or may be) a file mapping
     */
    public boolean isMapped() {
        return mapped;
    }

    /** True if the block's memory is read-only (it can be sent, not received into). */
    public boolean isReadOnly() {
        return readOnly;
    }

    // ---------------------------------------------------------------- access (not for hot paths)

    /**
     * Reads one byte.
     *
     * @param offset an offset within the block
     * @return the byte
     * @throws IndexOutOfBoundsException if outside the block
     */
    public byte get(long offset) {
        checkRange(offset, 1);
        return segments[segmentIndex(offset)].get(segmentOffset(offset));
    }

    /**
     * Reads bytes, across segments if needed.
     *
     * @param offset where to start in the block
     * @param dst    the destination array, owned by the caller
     * @param off    where to start in {@code dst}
     * @param len    how many bytes
     * @throws IndexOutOfBoundsException if a range is out of bounds
     */
    public void get(long offset, byte[] dst, int off, int len) {
        Objects.checkFromIndexSize(off, len, dst.length);
        checkRange(offset, len);
        while (len > 0) {
            ByteBuffer seg = segments[segmentIndex(offset)];
            int pos = segmentOffset(offset);
            int n = Math.min(len, seg.capacity() - pos);
            seg.get(pos, dst, off, n);
            offset += n;
            off += n;
            len -= n;
        }
    }

    /**
     * Writes bytes, across segments if needed.
     *
     * @param offset where to start in the block
     * @param src    the source array, owned by the caller
     * @param off    where to start in {@code src}
     * @param len    how many bytes
     * @throws IndexOutOfBoundsException        if a range is out of bounds
     * @throws java.nio.ReadOnlyBufferException if the block is read-only
     */
    public void put(long offset, byte[] src, int off, int len) {
        Objects.checkFromIndexSize(off, len, src.length);
        checkRange(offset, len);
        while (len > 0) {
            ByteBuffer seg = segments[segmentIndex(offset)];
            int pos = segmentOffset(offset);
            int n = Math.min(len, seg.capacity() - pos);
            seg.put(pos, src, off, n);
            offset += n;
            off += n;
            len -= n;
        }
    }

    /**
     * Reads a big-endian long that does not cross a page boundary.
     *
     * @param offset an offset within the block, with 8 bytes in the same segment
     * @return the value
     * @throws IndexOutOfBoundsException if outside the block or crossing a segment
     */
    public long getLong(long offset) {
        checkRange(offset, 8);
        return segments[segmentIndex(offset)].getLong(segmentOffset(offset));
    }

    /**
     * Writes a big-endian long that does not cross a page boundary.
     *
     * @param offset an offset within the block, with 8 bytes in the same segment
     * @param value  the value
     * @throws IndexOutOfBoundsException        if outside the block or crossing a segment
     * @throws java.nio.ReadOnlyBufferException if the block is read-only
     */
    public void putLong(long offset, long value) {
        checkRange(offset, 8);
        segments[segmentIndex(offset)].putLong(segmentOffset(offset), value);
    }

    /**
     * Returns a new view of a range within one segment (the view allocates; not for hot paths).
     * The view shares the block's memory; its position is 0 and its limit {@code length}.
     *
     * @param offset where the range starts
     * @param length its length; the range must not cross a segment boundary (a range within a
     *               page never does)
     * @return a new buffer, owned by the caller, sharing the block's memory
     * @throws IndexOutOfBoundsException if the range is outside the block or crosses a segment
     */
    public ByteBuffer slice(long offset, int length) {
        checkRange(offset, length);
        ByteBuffer seg = segments[segmentIndex(offset)];
        int pos = segmentOffset(offset);
        if (length > seg.capacity() - pos) {
            throw new IndexOutOfBoundsException("range [" + offset + ", +" + length + ") crosses a segment of block '"
                    + name + "'");
        }
        return seg.duplicate().limit(pos + length).position(pos).slice();
    }

    /**
     * Tells whether a page holds only zero bytes (reads it; a page of a sparse file's hole reads
     * as zero).
     *
     * @param offset a page-aligned offset within the block
     * @return true if every byte of the page is zero
     * @throws IndexOutOfBoundsException if the offset is not a page of this block
     */
    public boolean isZeroPage(long offset) {
        int len = pageLength(offset);
        return ZeroPages.isZero(segments[segmentIndex(offset)], segmentOffset(offset), len);
    }

    /**
     * Brings every page of the block into this process now, as QEMU's {@code -mem-prealloc} does
     * for guest memory, so that a migration does not take one page fault per page on its channel
     * threads. A read-only file mapping is read ahead and mapped ({@link MappedByteBuffer#load()}):
     * what {@code multifd send} does with an image before it connects. Writable memory gets one
     * write per 4 KiB, an atomic add of zero (one write fault; a page first read and then written
     * would fault twice, and the second fault on a shared file mapping is the expensive one), which
     * allocates fresh memory and a file's holes and keeps every byte, even under concurrent writers
     * (a private mapping thereby gets its own copy of every page; {@link #load()} maps it without
     * copying). Other read-only memory is left as it is. About one page fault per page, once; any
     * thread.
     *
     * @return this block
     */
    public RamBlock prefault() {
        if (readOnly) {
            return load();
        }
        for (ByteBuffer seg : segments) {
            for (int i = (4 - seg.alignmentOffset(0, 4)) & 3; i + 4 <= seg.capacity(); i += 4096) {
                TOUCH.getAndAdd(seg, i, 0);
            }
        }
        return this;
    }

    /**
     * Maps every page of a file-mapped block for reading now ({@link MappedByteBuffer#load()} on
     * each segment: the file is read ahead and one byte per page is read, nothing is written), so
     * that later reads take no page fault. Unlike {@link #prefault()} it copies nothing, even in a
     * private mapping, whose pages are copied only when written: what {@code multifd send
     * --dirty-rate} does with its image before it connects. Does nothing for memory that is not a
     * file mapping. Any thread.
     *
     * @return this block
     */
    public RamBlock load() {
        for (ByteBuffer seg : segments) {
            if (seg instanceof MappedByteBuffer m) {
                m.load();
            }
        }
        return this;
    }

    /**
     * The same memory under another name and page size: a block sharing this block's segments
     * (no copy and no new mapping, so the pages {@link #prefault()} brought in stay in). For a
     * destination made ready before the sender announces its blocks, as {@code multifd recv
     * --expect-size SIZE --preallocate} maps and faults in its file before it listens. The two
     * blocks are one memory: the ownership rules of the class documentation apply to both
     * together. Any thread.
     *
     * @param name     the view's name
     * @param pageSize the view's page size, a power of two from {@value #MIN_PAGE_SIZE} to
     *                 {@value #MAX_PAGE_SIZE}
     * @return the view
     * @throws IllegalArgumentException if the name or the page size is out of range
     */
    public RamBlock view(String name, int pageSize) {
        RamBlockChecks.checkName(name);
        RamBlockChecks.checkPageSize(pageSize);
        return new RamBlock(name, length, pageSize, segmentShift, segments, mapped, readOnly);
    }

    /**
     * Writes a mapped block's changes back to its file ({@link MappedByteBuffer#force()} on every
     * segment); does nothing for other blocks. Call it on the receiver after the migration
     * completed if the file must be durable.
     */
    public void force() {
        if (!mapped || readOnly) {
            return;
        }
        for (ByteBuffer s : segments) {
            if (s instanceof MappedByteBuffer m) {
                m.force();
            }
        }
    }

    @Override
    public String toString() {
        return "RamBlock[" + name + ", length=" + length + ", pageSize=" + pageSize + ", segments="
                + segments.length + (mapped ? ", mapped" : "") + (readOnly ? ", read-only" : "") + "]";
    }

    // ---------------------------------------------------------------- package-private, for the payload (see Access)

    /** The name as UTF-8; never modified. */
    byte[] nameBytes() {
        return nameBytes;
    }

    /** The backing segments; shared, never repositioned by the library (it uses duplicates). */
    ByteBuffer[] segments() {
        return segments;
    }

    int pageShift() {
        return pageShift;
    }

    int segmentShift() {
        return segmentShift;
    }

    int segmentIndex(long offset) {
        return (int) (offset >>> segmentShift);
    }

    int segmentOffset(long offset) {
        return (int) (offset & segmentMask);
    }

    // ---------------------------------------------------------------- checks

    private void checkRange(long offset, int len) {
        if (offset < 0 || len < 0 || offset > length - len) {
            throw new IndexOutOfBoundsException("range [" + offset + ", +" + len + ") outside block '" + name
                    + "' (length " + length + ")");
        }
    }
}
