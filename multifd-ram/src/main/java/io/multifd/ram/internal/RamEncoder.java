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

import io.multifd.api.spi.OutgoingPacket;
import io.multifd.api.spi.PayloadEncoder;
import io.multifd.ram.RamBlock;
import io.multifd.ram.RamBody;
import io.multifd.ram.RamPayload;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.IdentityHashMap;

/**
 * Turns a {@link RamBody} into a packet on one sending channel: finds the zero pages, writes the
 * payload header (see {@link RamPayload}) and adds the normal pages as read-only views of the
 * block's memory, adjacent pages coalesced into one view. Views are made once per block and
 * segment on this channel and re-positioned afterwards; steady state allocates nothing.
 * Confined to the channel thread.
 */
public final class RamEncoder implements PayloadEncoder<RamBody> {

    private static final RamAccess ACCESS = RamAccess.get();

    private final boolean detectZero;
    private final ZeroPages.Scanner scanner = new ZeroPages.Scanner();
    private final IdentityHashMap<RamBlock, SegmentViews> views = new IdentityHashMap<>();
    private RamBlock lastBlock;
    private SegmentViews lastViews;
    private long[] zeroScratch = new long[0];

    /**
     * Makes the encoder of one sending channel.
     *
     * @param detectZero true to find zero pages and send them as offsets only
     */
    public RamEncoder(boolean detectZero) {
        this.detectZero = detectZero;
    }

    @Override
    public void prepare(RamBody body, OutgoingPacket packet) throws IOException {
        RamBlock block = body.block();
        int count = body.count();
        int flags = body.flags();
        if (flags == RamPayload.FLAG_MISSING || flags == RamPayload.FLAG_RELEASE || flags == RamPayload.FLAG_RESUME) {
            control(body, block, count, flags, packet);
            return;
        }
        if (block == null || count == 0) {
            throw new IOException("ram: an empty RAM body was sent");
        }
        SegmentViews v = viewsFor(block);
        v.reset(); // the previous packet on this channel was written: its views are free
        long[] offs = ACCESS.offsets(body);
        int pageSize = block.pageSize();
        long length = block.length();

        // 1. partition: normal pages first, then zero pages, each group in queue order
        int normal = 0;
        int zero = 0;
        if (detectZero) {
            if (zeroScratch.length < count) {
                zeroScratch = new long[count];
            }
            for (int i = 0; i < count; i++) {
                long off = offs[i];
                int len = (int) Math.min(pageSize, length - off);
                int seg = ACCESS.segmentIndex(block, off);
                if (scanner.isZero(v.probe(seg), ACCESS.segmentOffset(block, off), len)) {
                    zeroScratch[zero++] = off;
                } else {
                    offs[normal++] = off;
                }
            }
            System.arraycopy(zeroScratch, 0, offs, normal, zero);
        } else {
            normal = count;
        }

        // 2. header
        ByteBuffer h = packet.header();
        byte[] name = ACCESS.nameBytes(block);
        int headerLength = RamPayload.HEADER_FIXED_LENGTH + name.length + 8 * count;
        if (headerLength > h.remaining()) {
            throw new IOException("ram: a header of " + count + " pages of block '" + block.name() + "' needs "
                    + headerLength + " bytes, over maxPayloadHeaderLength " + h.capacity() + "; lower batchBytes");
        }
        h.put((byte) RamPayload.HEADER_VERSION).put((byte) flags).putShort((short) name.length)
                .putInt(normal).putInt(zero).put(name);
        for (int i = 0; i < count; i++) {
            h.putLong(offs[i]);
        }

        // 3. data: runs of adjacent normal pages in one segment become one view
        int i = 0;
        while (i < normal) {
            long start = offs[i];
            int seg = ACCESS.segmentIndex(block, start);
            long end = start + Math.min(pageSize, length - start);
            int j = i + 1;
            while (j < normal && offs[j] == end && end < length && ACCESS.segmentIndex(block, end) == seg) {
                end += Math.min(pageSize, length - end);
                j++;
            }
            int len = (int) (end - start);
            if (len > packet.maxDataLength() - packet.dataLength()) {
                throw new IOException("ram: " + count + " pages of block '" + block.name()
                        + "' exceed maxPacketDataLength " + packet.maxDataLength() + "; lower batchBytes");
            }
            packet.addData(v.take(seg, ACCESS.segmentOffset(block, start), len));
            i = j;
        }
        packet.countItems(normal, zero);
    }

    /**
     * A post-copy control packet, no data: a missing-page map (its entries: the first word index,
     * then the words), or the release or resume marker (no entries).
     */
    private static void control(RamBody body, RamBlock block, int words, int flags, OutgoingPacket packet)
            throws IOException {
        ByteBuffer h = packet.header();
        byte[] name = ACCESS.nameBytes(block);
        int entries = flags == RamPayload.FLAG_MISSING ? 1 + words : 0;
        if (RamPayload.HEADER_FIXED_LENGTH + name.length + 8L * entries > h.remaining()) {
            throw new IOException("ram: a missing-page map of " + words + " words exceeds maxPayloadHeaderLength "
                    + h.capacity());
        }
        h.put((byte) RamPayload.HEADER_VERSION).put((byte) flags).putShort((short) name.length)
                .putInt(entries).putInt(0).put(name);
        if (entries > 0) {
            h.putLong(body.firstWord());
            for (int i = 0; i < words; i++) {
                h.putLong(body.offset(i));
            }
        }
        packet.countItems(0, 0);
    }

    private SegmentViews viewsFor(RamBlock block) {
        if (block == lastBlock) {
            return lastViews;
        }
        SegmentViews v = views.get(block);
        if (v == null) {
            v = new SegmentViews(ACCESS.segments(block), true);
            views.put(block, v);
        }
        lastBlock = block;
        lastViews = v;
        return v;
    }

    @Override
    public void close() {
        views.clear();
        lastBlock = null;
        lastViews = null;
    }
}
