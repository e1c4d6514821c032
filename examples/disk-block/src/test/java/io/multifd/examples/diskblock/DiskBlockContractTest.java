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

import io.multifd.api.SendSession;
import io.multifd.api.spi.PayloadPlugin;
import io.multifd.testing.Hashes;
import io.multifd.testing.contract.AbstractPayloadPluginContractTest;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.SplittableRandom;

/** The disk-block plug-in keeps the payload plug-in contract of multifd-testing. */
class DiskBlockContractTest extends AbstractPayloadPluginContractTest<DiskBlockPayload.Body> {

    private static final int BLOCK = 512;
    private static final long BLOCKS = 300;

    private final VirtualDisk source = new VirtualDisk("vda", BLOCK, BLOCKS);
    private final VirtualDisk destination = new VirtualDisk("vda", BLOCK, BLOCKS);

    DiskBlockContractTest() {
        SplittableRandom rnd = new SplittableRandom(301);
        byte[] block = new byte[BLOCK];
        for (long lba = 0; lba < BLOCKS; lba++) {
            if (rnd.nextInt(5) != 0) {               // a fifth stays zero
                rnd.nextBytes(block);
                source.write(lba, block);
            }
        }
    }

    @Override
    protected PayloadPlugin<DiskBlockPayload.Body> sendingPlugin() {
        return new DiskBlockPayload();
    }

    @Override
    protected PayloadPlugin<?> receivingPlugin() {
        return DiskBlockPayload.receivingInto(destination);
    }

    @Override
    protected SourceClient openSource(SendSession session) {
        DiskBlockSaver saver = DiskBlockSaver.open(session, source);
        return () -> {
            saver.sendAll();
            saver.sync();
        };
    }

    @Override
    protected String sourceHash() {
        return hash(source);
    }

    @Override
    protected String destinationHash() {
        return hash(destination);
    }

    static String hash(VirtualDisk disk) {
        return Hashes.sha256(disk.blockCount() * disk.blockSize(), (offset, dst, at, length) -> {
            byte[] b = new byte[disk.blockSize()];
            for (int p = 0; p < length; p += b.length) {
                disk.read((offset + p) / disk.blockSize(), b);
                System.arraycopy(b, 0, dst, at + p, b.length);
            }
        });
    }

    @Override
    protected List<HostilePacket> hostilePackets() {
        return List.of(
                new HostilePacket("an LBA beyond the disk", header(1, 0, 2, 5, BLOCKS), 2 * BLOCK, "disk-block.lba"),
                new HostilePacket("a negative LBA", header(1, 0, 1, -1), BLOCK, "disk-block.lba"),
                new HostilePacket("an unknown version", header(2, 0, 1, 0), BLOCK, "disk-block.version"),
                new HostilePacket("a flag", header(1, 4, 1, 0), BLOCK, "disk-block.flags"),
                new HostilePacket("no block", header(1, 0, 0), 0, "disk-block.count"),
                new HostilePacket("a count that disagrees with the header length", header(1, 0, 3, 1, 2), 3 * BLOCK,
                        "disk-block.headerLength"),
                new HostilePacket("a raw length that disagrees with the count", header(1, 0, 1, 1), 2 * BLOCK,
                        "disk-block.rawLength"),
                new HostilePacket("a truncated header", ByteBuffer.allocate(3), BLOCK, "disk-block.headerLength"));
    }

    @Override
    protected List<HostileSetupRecord> hostileSetupRecords() {
        return List.of(
                new HostileSetupRecord("another block count", DiskBlockPayload.setupRecord(new VirtualDisk("vda", BLOCK, 8)),
                        "disk-block.setup.blockCount"),
                new HostileSetupRecord("another block size", DiskBlockPayload.setupRecord(new VirtualDisk("vda", 1024, BLOCKS)),
                        "disk-block.setup.blockSize"),
                new HostileSetupRecord("another disk", DiskBlockPayload.setupRecord(new VirtualDisk("vdb", BLOCK, BLOCKS)),
                        "disk-block.setup.name"),
                new HostileSetupRecord("a truncated record", ByteBuffer.allocate(5), "disk-block.setup.recordLength"),
                new HostileSetupRecord("an unknown version", DiskBlockPayload.setupRecord(source).put(0, (byte) 9),
                        "disk-block.setup.version"));
    }

    @Override
    protected List<PacketCap> packetCaps() {
        return List.of(new PacketCap("disk-block.count", DiskBlockPayload.MAX_BLOCKS_PER_PACKET, n -> {
            long[] lbas = new long[(int) n];
            for (int i = 0; i < n; i++) {
                lbas[i] = i;
            }
            return new PacketBytes(header(1, 0, (int) n, lbas), new byte[(int) n * BLOCK]);
        }));
    }

    /** A payload header as documented on {@link DiskBlockPayload}, possibly malformed. */
    static ByteBuffer header(int version, int flags, int count, long... lbas) {
        ByteBuffer b = ByteBuffer.allocate(4 + 8 * lbas.length);
        b.put((byte) version).put((byte) flags).putShort((short) count);
        for (long l : lbas) {
            b.putLong(l);
        }
        return b.flip();
    }
}
