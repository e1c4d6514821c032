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
package io.multifd.testing.contract;

import io.multifd.api.SendData;
import io.multifd.api.SendSession;
import io.multifd.api.spi.PayloadPlugin;
import io.multifd.testing.BlobRangesPayload;
import io.multifd.testing.Hashes;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The reference plug-in of multifd-testing keeps the payload contract; {@link ContractCanFailTest}
 * breaks it in several ways on top of this class.
 */
class BlobRangesContractTest extends AbstractPayloadPluginContractTest<BlobRangesPayload.Range> {

    static final int LENGTH = (300 << 10) + 123;

    final ByteBuffer source = ByteBuffer.allocateDirect(LENGTH);
    final ByteBuffer destination = ByteBuffer.allocateDirect(LENGTH);

    BlobRangesContractTest() {
        SplittableRandom r = new SplittableRandom(61);
        for (int i = 0; i < LENGTH; i++) {
            source.put(i, (byte) r.nextInt(256));
        }
    }

    @Override
    protected PayloadPlugin<BlobRangesPayload.Range> sendingPlugin() {
        return BlobRangesPayload.sender(source);
    }

    @Override
    protected PayloadPlugin<?> receivingPlugin() {
        return BlobRangesPayload.receiverInto(destination);
    }

    @Override
    protected SourceClient openSource(SendSession session) {
        BlobRangesPayload plugin = session.payload(BlobRangesPayload.class).orElseThrow();
        session.declare(plugin, BlobRangesPayload.setupRecord(LENGTH));
        return () -> {
            SendData slot = session.newSlot();
            SplittableRandom r = new SplittableRandom(62);
            for (int at = 0; at < LENGTH; ) {
                int len = Math.min(1 + r.nextInt(64 << 10), LENGTH - at);
                slot.fill(plugin).set(at, len);
                slot = session.send(slot);
                at += len;
            }
            session.sync();
        };
    }

    @Override
    protected String sourceHash() {
        return Hashes.sha256(source);
    }

    @Override
    protected String destinationHash() {
        return Hashes.sha256(destination);
    }

    @Override
    protected List<HostilePacket> hostilePackets() {
        return List.of(
                new HostilePacket("a short header", ByteBuffer.allocate(11), 1, "blob-ranges.header"),
                new HostilePacket("a range past the end", header(LENGTH - 10, 11), 11, "blob-ranges.range"),
                new HostilePacket("a negative offset", header(-1, 1), 1, "blob-ranges.range"),
                new HostilePacket("a length that differs from the raw length", header(0, 100), 99, "blob-ranges.length"));
    }

    @Override
    protected List<HostileSetupRecord> hostileSetupRecords() {
        return List.of(
                new HostileSetupRecord("a short record", ByteBuffer.allocate(7), "blob-ranges.setup.length"),
                new HostileSetupRecord("another blob length", BlobRangesPayload.setupRecord(LENGTH + 1),
                        "blob-ranges.setup.blobLength"));
    }

    @Override
    protected List<PacketCap> packetCaps() {
        int len = BlobRangesPayload.PIECE;
        return List.of(new PacketCap("blob-ranges.range", LENGTH - len,
                offset -> new PacketBytes(header(offset, len), new byte[len])));
    }

    static ByteBuffer header(long offset, int length) {
        return ByteBuffer.allocate(12).putLong(0, offset).putInt(8, length);
    }
}
