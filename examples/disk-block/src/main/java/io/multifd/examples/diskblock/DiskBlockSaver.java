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
package io.multifd.examples.diskblock;

import io.multifd.api.SendData;
import io.multifd.api.SendSession;

import java.io.IOException;

/**
 * The client of the disk-block payload: it owns one {@link SendData} slot, fills it with block
 * addresses, and hands it to the session when it is full. Device state and RAM savers do the
 * same on the same session, each with its own slot.
 *
 * <pre>{@code
 * DiskBlockSaver disk = DiskBlockSaver.open(sender, virtualDisk);   // before sender.connect()
 * sender.connect();
 * disk.sendAll();                     // every block, then a sync
 * disk.sendBlock(7); disk.sync();     // a block written meanwhile, in a later epoch
 * sender.finish();
 * }</pre>
 *
 * <h2>Rules</h2>
 * Send a block at most once per sync epoch: two copies of a block in flight on two channels could
 * land in either order, while a {@link #sync()} between them orders them. The block's memory is
 * read by a channel thread after {@link #sendBlock(long)} returned, so a block written later must
 * be sent again after a sync.
 *
 * <h2>Threads</h2>
 * Confined to one thread (the product's migration thread); the session is thread-safe.
 */
public final class DiskBlockSaver {

    private final SendSession session;
    private final DiskBlockPayload payload;
    private final VirtualDisk disk;
    private final int blocksPerPacket;
    private SendData slot;

    private DiskBlockSaver(SendSession session, DiskBlockPayload payload, VirtualDisk disk, int blocksPerPacket) {
        this.session = session;
        this.payload = payload;
        this.disk = disk;
        this.blocksPerPacket = blocksPerPacket;
    }

    /**
     * Declares the disk's setup record and makes the saver. Call it before the session connects.
     *
     * @param session a session with the disk-block plug-in registered (discovery finds it)
     * @param disk    the disk to migrate; the product keeps owning its memory
     * @return the saver
     * @throws IllegalStateException    if the plug-in is not registered, or the session connected
     * @throws IllegalArgumentException if one block exceeds the session's maximum packet data length
     */
    public static DiskBlockSaver open(SendSession session, VirtualDisk disk) {
        DiskBlockPayload payload = session.payload(DiskBlockPayload.class).orElseThrow(() -> new IllegalStateException(
                "no DiskBlockPayload is registered with this session (is its jar on the path?)"));
        int perPacket = Math.min(DiskBlockPayload.MAX_BLOCKS_PER_PACKET,
                session.config().maxPacketDataLength() / disk.blockSize());
        if (perPacket < 1) {
            throw new IllegalArgumentException("blocks of " + disk.blockSize() + " bytes exceed maxPacketDataLength "
                    + session.config().maxPacketDataLength());
        }
        session.declare(payload, DiskBlockPayload.setupRecord(disk));
        return new DiskBlockSaver(session, payload, disk, perPacket);
    }

    /**
     * Queues one block; hands the slot to a channel when it is full.
     *
     * @param lba the block's address
     * @throws IOException               if the migration failed or no channel became idle in time
     * @throws IndexOutOfBoundsException if the address is outside the disk
     */
    public void sendBlock(long lba) throws IOException {
        disk.offset(lba); // checks the range
        if (slot == null) {
            slot = session.newSlot();
        }
        DiskBlockPayload.Body body = slot.fill(payload);
        body.disk = disk;
        body.lbas[body.count++] = lba;
        if (body.count == blocksPerPacket) {
            flush();
        }
    }

    /**
     * Sends every block of the disk, then syncs.
     *
     * @throws IOException from the session
     */
    public void sendAll() throws IOException {
        for (long lba = 0; lba < disk.blockCount(); lba++) {
            sendBlock(lba);
        }
        sync();
    }

    /**
     * Hands a partly filled slot to a channel. Does not sync.
     *
     * @throws IOException from the session
     */
    public void flush() throws IOException {
        if (slot != null && !slot.isEmpty()) {
            slot = session.send(slot); // the filled slot goes to a channel; an empty one comes back
        }
    }

    /**
     * Ends a sync epoch: flushes, then waits until every channel wrote everything sent before.
     *
     * @return the epoch that ended
     * @throws IOException from the session
     */
    public long sync() throws IOException {
        flush();
        return session.sync();
    }
}
