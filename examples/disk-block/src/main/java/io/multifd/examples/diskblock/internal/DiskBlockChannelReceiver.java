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
package io.multifd.examples.diskblock.internal;

import io.multifd.api.spi.DataTargets;
import io.multifd.api.spi.IncomingPacket;
import io.multifd.api.spi.PayloadChannelReceiver;
import io.multifd.examples.diskblock.VirtualDisk;

import java.io.IOException;
import java.nio.ByteBuffer;

import static io.multifd.examples.diskblock.DiskBlockPayload.HEADER_FIXED;
import static io.multifd.examples.diskblock.DiskBlockPayload.MAX_BLOCKS_PER_PACKET;
import static io.multifd.examples.diskblock.DiskBlockPayload.NAME;
import static io.multifd.examples.diskblock.DiskBlockPayload.VERSION;

/**
 * Step 4 on a receiving channel thread: validates a packet's header against the destination
 * disk, then names where its data goes. Views made once per channel. Confined to one channel
 * thread.
 */
public final class DiskBlockChannelReceiver implements PayloadChannelReceiver {
    private final VirtualDisk disk;
    private final ByteBuffer[] views = new ByteBuffer[MAX_BLOCKS_PER_PACKET];

    /**
     * Makes the receiver of one channel.
     *
     * @param disk the destination; written by this channel's thread until the migration ends
     */
    public DiskBlockChannelReceiver(VirtualDisk disk) {
        this.disk = disk;
        for (int i = 0; i < views.length; i++) {
            views[i] = disk.newView();
        }
    }

    @Override
    public void begin(IncomingPacket packet, DataTargets targets) throws IOException {
        ByteBuffer h = packet.header();
        int length = h.remaining();
        if (length < HEADER_FIXED) {
            throw packet.malformed(NAME + ".headerLength", length, "shorter than " + HEADER_FIXED + " bytes");
        }
        int version = h.get(0) & 0xFF;
        if (version != VERSION) {
            throw packet.malformed(NAME + ".version", version, "only version " + VERSION + " is known");
        }
        int flags = h.get(1) & 0xFF;
        if (flags != 0) {
            throw packet.malformed(NAME + ".flags", flags, "no flag is defined");
        }
        int n = h.getShort(2) & 0xFFFF;
        if (n < 1 || n > MAX_BLOCKS_PER_PACKET) {
            throw packet.malformed(NAME + ".count", n, "must be 1 to " + MAX_BLOCKS_PER_PACKET);
        }
        if (length != HEADER_FIXED + 8 * n) {
            throw packet.malformed(NAME + ".headerLength", length, "must be " + (HEADER_FIXED + 8 * n)
                    + " for " + n + " blocks");
        }
        int bs = disk.blockSize();
        if (packet.rawLength() != n * bs) {
            throw packet.malformed(NAME + ".rawLength", packet.rawLength(), "must be " + n + " blocks of " + bs
                    + " bytes = " + (n * bs));
        }
        // check every address before naming any target: nothing is written for a bad packet
        for (int i = 0; i < n; i++) {
            long lba = h.getLong(HEADER_FIXED + 8 * i);
            if (lba < 0 || lba >= disk.blockCount()) {
                throw packet.malformed(NAME + ".lba", lba, "beyond disk '" + disk.name() + "' of "
                        + disk.blockCount() + " blocks");
            }
        }
        for (int i = 0; i < n; i++) {
            int off = disk.offset(h.getLong(HEADER_FIXED + 8 * i));
            targets.add(views[i].limit(views[i].capacity()).position(off).limit(off + bs));
        }
        packet.countItems(n, 0);
    }
}
