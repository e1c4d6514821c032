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

import io.multifd.api.spi.DataTargets;
import io.multifd.api.spi.IncomingPacket;
import io.multifd.api.spi.PayloadChannelReceiver;
import io.multifd.ram.RamBlock;
import io.multifd.ram.RamDestination;
import io.multifd.ram.RamPayload;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Applies RAM packets arriving on one channel: validates the whole payload header before naming
 * any target, then names views of the destination pages as targets (the core reads the data
 * straight into them), and after the data arrived zeroes the zero pages that are not zero already.
 * Views are made once per block and segment on this channel and re-positioned afterwards; steady
 * state allocates nothing. For a block with a {@link RamDestination#writeTarget file target} the
 * targets are views of this channel's staging buffer instead, and {@link #end} writes the runs and
 * the zero pages that need it to the file at their offsets. Confined to the channel thread.
 */
final class RamChannelReceiver implements PayloadChannelReceiver {

    private static final RamAccess ACCESS = RamAccess.get();

    private final RamReceiver session;
    private final SegmentViews[] views;
    private final ZeroPages.Scanner scanner = new ZeroPages.Scanner();
    private final long[] offsets;
    private final long[] sortScratch;

    // positional writes (RamDestination.writeTarget): the packet's data lands in staging, one view per run
    private SegmentViews stagingViews;
    private ByteBuffer zeros;
    private final ByteBuffer[] runViews;
    private final long[] runOffsets;
    private int runs;

    // the packet between begin and end
    private RamBlock block;
    private int blockIndex;
    private int normal;
    private int zero;
    private boolean postcopyPages;

    RamChannelReceiver(RamReceiver session) {
        this.session = session;
        this.views = new SegmentViews[session.blocks.length];
        this.offsets = new long[session.maxPagesPerPacket];
        this.sortScratch = new long[session.maxPagesPerPacket];
        boolean anyFile = false;
        for (RamDestination.WriteTarget f : session.files) {
            anyFile |= f != null;
        }
        this.runViews = anyFile ? new ByteBuffer[session.maxPagesPerPacket] : null;
        this.runOffsets = anyFile ? new long[session.maxPagesPerPacket] : null;
    }

    @Override
    public void begin(IncomingPacket packet, DataTargets targets) throws IOException {
        block = null;
        postcopyPages = false;
        ByteBuffer h = packet.header();
        int hl = h.limit();
        if (hl < RamPayload.HEADER_FIXED_LENGTH) {
            throw packet.malformed("ram.headerLength", hl, "shorter than the " + RamPayload.HEADER_FIXED_LENGTH
                    + "-byte fixed part");
        }
        int version = h.get(0) & 0xFF;
        if (version != RamPayload.HEADER_VERSION) {
            throw packet.malformed("ram.version", version, "this receiver reads version " + RamPayload.HEADER_VERSION);
        }
        int flags = h.get(1) & 0xFF;
        PostcopyState pc = session.postcopy;
        if (flags != 0 && (pc == null || (flags != RamPayload.FLAG_POSTCOPY_PAGES && flags != RamPayload.FLAG_MISSING
                && flags != RamPayload.FLAG_RELEASE && flags != RamPayload.FLAG_RESUME))) {
            throw packet.malformed("ram.flags", flags, pc == null ? "reserved, must be 0 (the sender did not announce "
                    + "post-copy)" : "not a known combination (1 post-copy pages, 2 missing-page map, 4 release, 8 resume)");
        }
        if (flags == 0 && pc != null) {
            pc.precopyPacket(packet.epoch()); // before the check: a release that comes later sees its epoch
            if (pc.switched()) {
                throw packet.malformed("ram.flags", 0, "a pre-copy page packet after the switch-over to post-copy");
            }
        }
        int n = h.getShort(2) & 0xFFFF;
        if (n < 1 || n > RamBlock.MAX_NAME_LENGTH) {
            throw packet.malformed("ram.nameLength", n, "a block name has 1 to " + RamBlock.MAX_NAME_LENGTH + " bytes");
        }
        long nNormal = Integer.toUnsignedLong(h.getInt(4));
        long nZero = Integer.toUnsignedLong(h.getInt(8));
        if (flags == RamPayload.FLAG_MISSING || flags == RamPayload.FLAG_RELEASE || flags == RamPayload.FLAG_RESUME) {
            control(packet, h, hl, n, nNormal, nZero, flags, pc);
            return;
        }
        long pages = nNormal + nZero;
        if (pages == 0) {
            throw packet.malformed("ram.pages", 0, "a packet carries at least one page");
        }
        if (pages > session.maxPagesPerPacket) {
            throw packet.malformed("ram.pages", pages, "over the cap of " + session.maxPagesPerPacket
                    + " pages per packet (batch " + session.record.batchBytes() + " bytes)");
        }
        long expectedHeader = RamPayload.HEADER_FIXED_LENGTH + n + 8 * pages;
        if (hl != expectedHeader) {
            throw packet.malformed("ram.headerLength", hl, "a header with a " + n + "-byte name and " + pages
                    + " offsets is " + expectedHeader + " bytes");
        }
        int idx = session.table.find(h, RamPayload.HEADER_FIXED_LENGTH, n);
        if (idx < 0) {
            throw packet.malformed("ram.block", printable(h, n), "no block of this session has this name");
        }
        RamBlock b = session.blocks[idx];
        int cap = session.pagesPerPacket[idx];
        if (nNormal > cap) {
            throw packet.malformed("ram.normalPages", nNormal, "over the cap of " + cap + " pages per packet for block '"
                    + b.name() + "' (page size " + b.pageSize() + ")");
        }
        if (nZero > cap - nNormal) {
            throw packet.malformed("ram.zeroPages", nZero, "with " + nNormal + " normal pages, over the cap of " + cap
                    + " pages per packet for block '" + b.name() + "'");
        }
        int nn = (int) nNormal;
        int total = (int) pages;
        long length = b.length();
        long alignMask = b.pageSize() - 1;
        int pageSize = b.pageSize();
        int base = RamPayload.HEADER_FIXED_LENGTH + n;
        long raw = 0;
        for (int i = 0; i < total; i++) {
            long off = h.getLong(base + 8 * i);
            if (off < 0 || off >= length) {
                throw packet.malformed("ram.offset", Long.toUnsignedString(off), "beyond block '" + b.name()
                        + "' (length " + length + ")");
            }
            if ((off & alignMask) != 0) {
                throw packet.malformed("ram.offset", off, "not a multiple of the page size " + pageSize + " of block '"
                        + b.name() + "'");
            }
            offsets[i] = off;
            if (i < nn) {
                raw += Math.min(pageSize, length - off);
            }
        }
        if (raw != packet.rawLength()) {
            throw packet.malformed("ram.rawLength", packet.rawLength(), nn + " normal pages of block '" + b.name()
                    + "' carry " + raw + " bytes");
        }
        long dup = findDuplicate(nn, total);
        if (dup >= 0) {
            throw packet.malformed("ram.offset", dup, "appears twice in one packet");
        }
        if (flags == RamPayload.FLAG_POSTCOPY_PAGES) {
            int shift = ACCESS.pageShift(b);
            for (int i = 0; i < total; i++) {
                if (!pc.claim(idx, offsets[i] >>> shift)) {
                    throw packet.malformed("ram.offset", offsets[i], "a post-copy page of block '" + b.name()
                            + "' that is not missing (present already, or carried by another packet)");
                }
            }
        }
        postcopyPages = flags == RamPayload.FLAG_POSTCOPY_PAGES;

        // everything checked: name the targets, adjacent pages coalesced
        if (session.files[idx] != null) {
            stage(b, nn, pageSize, targets);
        } else {
            name(idx, b, nn, pageSize, targets);
        }
        block = b;
        blockIndex = idx;
        normal = nn;
        zero = total - nn;
    }

    /** Names views of the block's memory as the targets. */
    private void name(int idx, RamBlock b, int nn, int pageSize, DataTargets targets) {
        long length = b.length();
        SegmentViews v = viewsFor(idx, b);
        v.reset(); // the previous packet's targets are filled and applied
        int i = 0;
        while (i < nn) {
            long start = offsets[i];
            int seg = ACCESS.segmentIndex(b, start);
            long end = start + Math.min(pageSize, length - start);
            int j = i + 1;
            while (j < nn && offsets[j] == end && end < length && ACCESS.segmentIndex(b, end) == seg) {
                end += Math.min(pageSize, length - end);
                j++;
            }
            targets.add(v.take(seg, ACCESS.segmentOffset(b, start), (int) (end - start)));
            i = j;
        }
    }

    /**
     * Names views of this channel's staging buffer as the targets, one per run of adjacent pages;
     * {@link #end} writes each run to the file. The buffer holds one packet: at most the packet's
     * page cap times the page size, the batch size.
     */
    private void stage(RamBlock b, int nn, int pageSize, DataTargets targets) {
        long length = b.length();
        if (stagingViews == null) {
            int bytes = 0;
            for (int k = 0; k < session.blocks.length; k++) {
                if (session.files[k] != null) {
                    bytes = Math.max(bytes, session.pagesPerPacket[k] * session.blocks[k].pageSize());
                }
            }
            stagingViews = new SegmentViews(new ByteBuffer[]{ByteBuffer.allocateDirect(bytes)}, false);
        }
        stagingViews.reset();
        runs = 0;
        int pos = 0;
        int i = 0;
        while (i < nn) {
            long start = offsets[i];
            long end = start + Math.min(pageSize, length - start);
            int j = i + 1;
            while (j < nn && offsets[j] == end && end < length) {
                end += Math.min(pageSize, length - end);
                j++;
            }
            int len = (int) (end - start);
            ByteBuffer view = stagingViews.take(0, pos, len);
            runViews[runs] = view;
            runOffsets[runs++] = start;
            targets.add(view);
            pos += len;
            i = j;
        }
    }

    /** Writes the staged runs of the packet, then its zero pages that need it, to the block's file. */
    private void writeOut(RamBlock b, PageBitmap written, int shift) throws IOException {
        RamDestination.WriteTarget file = session.files[blockIndex];
        FileChannel ch = file.channel();
        ReentrantLock lock = session.fileLocks[blockIndex]; // turns per packet: see RamReceiver.fileLocks
        try {
            lock.lockInterruptibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting to write a packet's pages to the file");
        }
        try {
            writeRuns(file, ch);
        } finally {
            lock.unlock();
        }
        long length = b.length();
        int pageSize = b.pageSize();
        for (int i = normal, e = normal + zero; i < e; i++) {
            long off = offsets[i];
            if (written != null && !written.get(off >>> shift)) {
                continue; // never written in this session: the file holds zeros there
            }
            if (zeros == null) {
                zeros = ByteBuffer.allocateDirect(RamBlock.MAX_PAGE_SIZE);
            }
            zeros.clear().limit((int) Math.min(pageSize, length - off));
            long at = file.position() + off;
            while (zeros.hasRemaining()) {
                at += ch.write(zeros, at);
            }
        }
    }

    /** Writes the staged runs of the packet at their offsets; the caller holds the file's lock. */
    private void writeRuns(RamDestination.WriteTarget file, FileChannel ch) throws IOException {
        int pos = 0;
        for (int r = 0; r < runs; r++) {
            ByteBuffer view = runViews[r];
            int len = view.limit() - pos; // the core filled it: position == limit
            view.position(pos);
            long at = file.position() + runOffsets[r];
            while (view.hasRemaining()) {
                at += ch.write(view, at);
            }
            pos += len;
            runViews[r] = null;
        }
        runs = 0;
    }

    @Override
    public void end(IncomingPacket packet) throws IOException {
        RamBlock b = block;
        if (b == null) {
            return;
        }
        block = null;
        PageBitmap written = session.written[blockIndex];
        int shift = ACCESS.pageShift(b);
        if (session.files[blockIndex] != null) {
            // zero pages first checked against the bitmap as it was before this packet's pages
            writeOut(b, written, shift);
            if (written != null) {
                for (int i = 0; i < normal; i++) {
                    written.set(offsets[i] >>> shift);
                }
            }
            finishPacket(shift);
            packet.countItems(normal, zero);
            return;
        }
        if (written != null) {
            for (int i = 0; i < normal; i++) {
                written.set(offsets[i] >>> shift);
            }
        }
        if (zero > 0) {
            SegmentViews v = views[blockIndex];
            long length = b.length();
            int pageSize = b.pageSize();
            for (int i = normal, e = normal + zero; i < e; i++) {
                long off = offsets[i];
                if (written != null && !written.get(off >>> shift)) {
                    continue; // never written in this session: still zero, not even read
                }
                int seg = ACCESS.segmentIndex(b, off);
                int pos = ACCESS.segmentOffset(b, off);
                int len = (int) Math.min(pageSize, length - off);
                ByteBuffer probe = v.probe(seg);
                // touch the page only if it holds data: fresh memory stays untouched (not faulted in)
                if (!scanner.isZero(probe, pos, len)) {
                    scanner.zero(probe, pos, len);
                }
            }
        }
        finishPacket(shift);
        packet.countItems(normal, zero);
    }

    private void finishPacket(int shift) {
        PageBitmap[] received = session.received;
        if (received != null) {
            received[blockIndex].setOffsets(offsets, 0, normal + zero, shift);
        }
        if (postcopyPages) { // the bytes are in place: the application may use the pages now
            session.postcopy.arrived(blockIndex, offsets, normal + zero, shift);
        }
    }

    /** A missing-page map or the release marker: checked, then applied at once (no data). */
    private void control(IncomingPacket packet, ByteBuffer h, int hl, int n, long entries, long nZero, int flags,
                         PostcopyState pc) throws IOException {
        if (nZero != 0) {
            throw packet.malformed("ram.zeroPages", nZero, "a post-copy control packet carries no pages");
        }
        if (packet.rawLength() != 0) {
            throw packet.malformed("ram.rawLength", packet.rawLength(), "a post-copy control packet carries no data");
        }
        boolean map = flags == RamPayload.FLAG_MISSING;
        long cap = Math.max(2, session.maxPagesPerPacket);
        if (map ? entries < 2 || entries > cap : entries != 0) {
            throw packet.malformed("ram.normalPages", entries, map ? "a missing-page map holds 2 to " + cap
                    + " entries (the first word index, then the words)" : "a release or resume marker holds no entries");
        }
        long expectedHeader = RamPayload.HEADER_FIXED_LENGTH + n + 8 * entries;
        if (hl != expectedHeader) {
            throw packet.malformed("ram.headerLength", hl, "a header with a " + n + "-byte name and " + entries
                    + " entries is " + expectedHeader + " bytes");
        }
        int idx = session.table.find(h, RamPayload.HEADER_FIXED_LENGTH, n);
        if (idx < 0) {
            throw packet.malformed("ram.block", printable(h, n), "no block of this session has this name");
        }
        if (map) {
            pc.applyMap(packet, idx, h, RamPayload.HEADER_FIXED_LENGTH + n, (int) entries - 1);
        } else if (flags == RamPayload.FLAG_RELEASE) {
            pc.release(packet, session.received);
        } else {
            pc.answerResume(packet);
        }
        packet.countItems(0, 0);
    }

    private SegmentViews viewsFor(int idx, RamBlock b) {
        SegmentViews v = views[idx];
        if (v == null) {
            v = views[idx] = new SegmentViews(ACCESS.segments(b), false);
        }
        return v;
    }

    /**
     * Finds an offset listed twice. Each group (normal, zero) is normally in increasing order: then
     * a linear check of each group and a merge of the two suffice. Otherwise sort a copy.
     *
     * @return the duplicate offset, or -1
     */
    private long findDuplicate(int nn, int total) {
        long[] o = offsets;
        boolean sorted = true;
        for (int i = 1; i < nn && sorted; i++) {
            sorted = o[i] > o[i - 1];
        }
        for (int i = nn + 1; i < total && sorted; i++) {
            sorted = o[i] > o[i - 1];
        }
        if (sorted) {
            int a = 0;
            int z = nn;
            while (a < nn && z < total) {
                if (o[a] == o[z]) {
                    return o[a];
                }
                if (o[a] < o[z]) {
                    a++;
                } else {
                    z++;
                }
            }
            return -1;
        }
        System.arraycopy(o, 0, sortScratch, 0, total);
        Arrays.sort(sortScratch, 0, total);
        for (int i = 1; i < total; i++) {
            if (sortScratch[i] == sortScratch[i - 1]) {
                return sortScratch[i];
            }
        }
        return -1;
    }

    /** The name bytes as text, for an error message only (allocates; never on the success path). */
    private static String printable(ByteBuffer h, int n) {
        byte[] b = new byte[n];
        h.get(RamPayload.HEADER_FIXED_LENGTH, b, 0, n);
        return "'" + new String(b, StandardCharsets.UTF_8).replaceAll("\\p{Cntrl}", "?") + "'";
    }
}
