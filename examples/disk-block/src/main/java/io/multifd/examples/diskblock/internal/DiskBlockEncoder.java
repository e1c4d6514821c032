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

import io.multifd.api.spi.OutgoingPacket;
import io.multifd.api.spi.PayloadEncoder;
import io.multifd.examples.diskblock.DiskBlockPayload;
import io.multifd.examples.diskblock.VirtualDisk;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Step 3 on the sending channel thread: writes the payload header and adds one view per
 * block as data, without copying. The views are made once per channel (and disk) and only
 * re-positioned per packet, so steady state allocates nothing. Confined to one channel thread.
 */
public final class DiskBlockEncoder implements PayloadEncoder<DiskBlockPayload.Body> {
    private final ByteBuffer[] views = new ByteBuffer[DiskBlockPayload.MAX_BLOCKS_PER_PACKET];
    private VirtualDisk viewsOf;

    /** Makes the encoder of one sending channel. */
    public DiskBlockEncoder() {
    }

    @Override
    public void prepare(DiskBlockPayload.Body body, OutgoingPacket packet) throws IOException {
        VirtualDisk disk = body.disk();
        if (disk != viewsOf) {
            for (int i = 0; i < views.length; i++) {
                views[i] = disk.newView();
            }
            viewsOf = disk;
        }
        int count = body.count();
        ByteBuffer h = packet.header();
        h.put((byte) DiskBlockPayload.VERSION).put((byte) 0).putShort((short) count);
        int bs = disk.blockSize();
        for (int i = 0; i < count; i++) {
            long lba = body.lba(i);
            h.putLong(lba);
            int off = disk.offset(lba);
            // the core reads [position, limit) until the packet is written; this channel
            // changes the view again only in its next prepare()
            packet.addData(views[i].limit(views[i].capacity()).position(off).limit(off + bs));
        }
        packet.countItems(count, 0);
    }
}
