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

import com.google.auto.service.AutoService;
import io.multifd.api.SetupRefusedException;
import io.multifd.api.spi.IncomingPacket;
import io.multifd.api.spi.PayloadEncoder;
import io.multifd.api.spi.PayloadPlugin;
import io.multifd.api.spi.PayloadReceiver;
import io.multifd.api.spi.ReceiveContext;
import io.multifd.api.spi.SendChannelContext;
import io.multifd.examples.diskblock.internal.DiskBlockChannelReceiver;
import io.multifd.examples.diskblock.internal.DiskBlockEncoder;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The "disk block" payload plug-in (wire id {@value #ID}, name {@value #NAME}): moves blocks of a
 * {@link VirtualDisk} on the same channels as RAM. Read it top to bottom as a recipe for your own
 * plug-in.
 *
 * <h2>Step 1: identity</h2>
 * {@link #id()} travels in every packet header and in the manifest; {@link #name()} is how users
 * and statistics name it. Both must be unique among the plug-ins present; ids 1 to 255 are
 * reserved for multifd-java's own plug-ins, so a user's plug-in picks 256 or more.
 *
 * <h2>Step 2: the setup record (sender to receiver, once, in the manifest)</h2>
 * Everything the receiver must check before the first packet: here the disk's name, block size
 * and block count. Big-endian:
 * <pre>
 * offset size field
 *  0     1    version: 1
 *  1     1    name length n: 1 to 255
 *  2     2    reserved: 0
 *  4     4    block size
 *  8     8    block count
 * 16     n    disk name (UTF-8)
 * </pre>
 *
 * <h2>Step 3: the body and the packet (one per {@code SendData} slot)</h2>
 * A {@link Body} holds up to {@value #MAX_BLOCKS_PER_PACKET} block addresses of one disk. The
 * payload header of a packet, big-endian:
 * <pre>
 * offset size   field
 *  0     1      version: 1
 *  1     1      flags: 0
 *  2     2      count N: 1 to 64
 *  4     8 * N  LBAs
 * </pre>
 * followed by {@code N * blockSize} bytes of data, the blocks in header order. The encoder that
 * writes it, {@link io.multifd.examples.diskblock.internal.DiskBlockEncoder}, lives in the
 * {@code internal} package, which the module does not export: users call the plug-in, the body
 * and the saver, never the wire code.
 *
 * <h2>Step 4: the receiving side</h2>
 * The receiver ({@link io.multifd.examples.diskblock.internal.DiskBlockChannelReceiver}, also
 * internal) treats every byte as hostile: it checks the header's version, flags, count, length
 * and every LBA against <em>its own</em> disk before it names a single destination buffer, and
 * refuses with {@link IncomingPacket#malformed(String, Object, String)} naming the field
 * ({@code disk-block.version}, {@code disk-block.flags}, {@code disk-block.count},
 * {@code disk-block.headerLength}, {@code disk-block.rawLength}, {@code disk-block.lba}).
 *
 * <h2>Step 5: registration</h2>
 * {@code @AutoService(PayloadPlugin.class)} writes {@code META-INF/services} for the class path;
 * {@code provides} in {@code module-info.java} serves the module path. The no-argument
 * constructor is what {@link java.util.ServiceLoader} calls: it can send (the disk travels in the
 * body) but has nowhere to receive into. A receiver registers a configured instance,
 * {@link #receivingInto(VirtualDisk)}, which replaces the discovered one.
 *
 * <h2>Threads</h2>
 * The plug-in object is immutable and shared by every session and channel. Encoders and channel
 * receivers are confined to one channel thread each; bodies belong to whoever owns their slot.
 */
// AutoService names the generic SPI raw; its annotation is compile-only (requires static)
@SuppressWarnings({"rawtypes", "exports"})
@AutoService(PayloadPlugin.class)
public final class DiskBlockPayload implements PayloadPlugin<DiskBlockPayload.Body> {

    /** The wire id: above 255, the range left to users. */
    public static final int ID = 300;
    /** The name. */
    public static final String NAME = "disk-block";
    /** The most blocks one packet carries. */
    public static final int MAX_BLOCKS_PER_PACKET = 64;

    /** The version of the setup record and of the payload header. */
    public static final int VERSION = 1;
    /** The fixed part of the payload header, in bytes; 8 bytes per block address follow. */
    public static final int HEADER_FIXED = 4;
    /** The fixed part of the setup record, in bytes; the disk name follows. */
    public static final int RECORD_FIXED = 16;

    private final VirtualDisk destination;

    /** The instance {@link java.util.ServiceLoader} makes: enough to send, refuses to receive. */
    public DiskBlockPayload() {
        this(null);
    }

    private DiskBlockPayload(VirtualDisk destination) {
        this.destination = destination;
    }

    /**
     * A receiver's instance: the blocks go into {@code disk}, which must have the sender's name,
     * block size and block count.
     *
     * @param disk the destination; written by the channel threads until the migration ends
     * @return the plug-in to register with the receiver
     */
    public static DiskBlockPayload receivingInto(VirtualDisk disk) {
        return new DiskBlockPayload(java.util.Objects.requireNonNull(disk, "disk"));
    }

    @Override
    public int id() {
        return ID;
    }

    @Override
    public String name() {
        return NAME;
    }

    /** Makes a body for one slot (on the client thread that first fills the slot). */
    @Override
    public Body newBody() {
        return new Body();
    }

    /** Empties a body for reuse (on the channel thread after the packet was written). */
    @Override
    public void resetBody(Body body) {
        body.disk = null;
        body.count = 0;
    }

    /** Makes the encoder of one sending channel (on that channel's thread). */
    @Override
    public PayloadEncoder<Body> newEncoder(SendChannelContext context) {
        return new DiskBlockEncoder();
    }

    /**
     * Step 2 on the sender: the setup record of a disk, declared by {@link DiskBlockSaver#open}.
     *
     * @param disk the disk
     * @return a new buffer holding the record, owned by the caller
     */
    static ByteBuffer setupRecord(VirtualDisk disk) {
        byte[] name = disk.name().getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(RECORD_FIXED + name.length);
        b.put((byte) VERSION).put((byte) name.length).putShort((short) 0);
        b.putInt(disk.blockSize()).putLong(disk.blockCount()).put(name);
        return b.flip();
    }

    /**
     * Step 2 on the receiver: checks the sender's record against the destination disk.
     *
     * @param context     the session (unused here: a plug-in could read caps from its config)
     * @param setupRecord untrusted bytes, valid during this call only
     * @return the session's receiver
     * @throws SetupRefusedException naming the field that does not fit
     */
    @Override
    public PayloadReceiver openReceiver(ReceiveContext context, ByteBuffer setupRecord) throws SetupRefusedException {
        if (destination == null) {
            throw new SetupRefusedException(NAME + ": this receiver has no destination disk "
                    + "(register DiskBlockPayload.receivingInto(disk) with the receiver)");
        }
        ByteBuffer r = setupRecord.slice();
        if (r.remaining() < RECORD_FIXED) {
            throw refuse("recordLength", r.remaining(), "shorter than " + RECORD_FIXED + " bytes");
        }
        int version = r.get(0) & 0xFF;
        int nameLength = r.get(1) & 0xFF;
        int reserved = r.getShort(2);
        int blockSize = r.getInt(4);
        long blockCount = r.getLong(8);
        if (version != VERSION) {
            throw refuse("version", version, "only version " + VERSION + " is known");
        }
        if (reserved != 0) {
            throw refuse("reserved", reserved, "must be 0");
        }
        if (nameLength == 0 || r.remaining() != RECORD_FIXED + nameLength) {
            throw refuse("nameLength", nameLength, "the record is " + r.remaining() + " bytes long");
        }
        byte[] nameBytes = new byte[nameLength];
        r.get(RECORD_FIXED, nameBytes);
        String name = new String(nameBytes, StandardCharsets.UTF_8);
        if (!name.equals(destination.name())) {
            throw refuse("name", name, "the destination disk is '" + destination.name() + "'");
        }
        if (blockSize != destination.blockSize()) {
            throw refuse("blockSize", blockSize, "the destination disk has blocks of " + destination.blockSize() + " bytes");
        }
        if (blockCount != destination.blockCount()) {
            throw refuse("blockCount", blockCount, "the destination disk has " + destination.blockCount() + " blocks");
        }
        if (blockSize > context.config().maxPacketDataLength()) {
            throw refuse("blockSize", blockSize, "a block exceeds maxPacketDataLength "
                    + context.config().maxPacketDataLength());
        }
        VirtualDisk disk = destination;
        // the session's receiver: nothing to finish or abort, only per-channel receivers
        return channelId -> new DiskBlockChannelReceiver(disk);
    }

    private static SetupRefusedException refuse(String field, Object value, String reason) {
        // the receiver prefixes the payload's name when it reports the refusal
        return new SetupRefusedException("setup record: field '" + NAME + ".setup." + field + "' = " + value + ": "
                + reason);
    }

    /**
     * Step 3: what one slot carries, up to {@value #MAX_BLOCKS_PER_PACKET} addresses of one disk.
     * Owned by whoever owns the slot (the saver while it fills it, the channel thread while it
     * sends it); made once per slot and reset after each packet.
     */
    public static final class Body {
        VirtualDisk disk;
        final long[] lbas = new long[MAX_BLOCKS_PER_PACKET];
        int count;

        Body() {
        }

        /** The number of blocks in this body. */
        public int count() {
            return count;
        }

        /** The disk the blocks belong to, or {@code null} if the body is empty. */
        public VirtualDisk disk() {
            return disk;
        }

        /**
         * The address of the {@code i}-th block.
         *
         * @param i index, below {@link #count()}
         * @return the logical block address
         */
        public long lba(int i) {
            java.util.Objects.checkIndex(i, count);
            return lbas[i];
        }
    }
}
