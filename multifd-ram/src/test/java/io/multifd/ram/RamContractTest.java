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

import io.multifd.api.SendSession;
import io.multifd.api.spi.PayloadPlugin;
import io.multifd.testing.contract.AbstractPayloadPluginContractTest;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static io.multifd.ram.RamHostilePacketTest.header;

/** The RAM plug-in keeps the payload plug-in contract of multifd-testing. */
class RamContractTest extends AbstractPayloadPluginContractTest<RamBody> {

    private static final int PS = 4096;
    private static final long LEN = (2 << 20) + 100;     // a partial last page of 100 bytes

    private final RamBlock source = RamBlock.allocate("pc.ram", LEN, PS);
    private final RamBlock destination = RamBlock.allocate("pc.ram", LEN, PS);

    RamContractTest() {
        Images.fillMixed(source, 41);
    }

    @Override
    protected PayloadPlugin<RamBody> sendingPlugin() {
        return RamPayload.sending();
    }

    @Override
    protected PayloadPlugin<?> receivingPlugin() {
        return RamPayload.receiving(RamDestination.of(destination));
    }

    @Override
    protected SourceClient openSource(SendSession session) {
        RamSaver saver = RamSaver.open(session, source);
        return saver::saveAll;
    }

    @Override
    protected String sourceHash() {
        return Images.sha256(source);
    }

    @Override
    protected String destinationHash() {
        return Images.sha256(destination);
    }

    @Override
    protected List<HostilePacket> hostilePackets() {
        byte[] n = "pc.ram".getBytes(StandardCharsets.UTF_8);
        long last = LEN / PS * PS;
        return List.of(
                new HostilePacket("an unknown version", header(2, 0, n, n.length, 1, 0, 0), PS, "ram.version"),
                new HostilePacket("a flag", header(1, 0x80, n, n.length, 1, 0, 0), PS, "ram.flags"),
                new HostilePacket("a short header", ByteBuffer.allocate(11), 0, "ram.headerLength"),
                new HostilePacket("an empty name", header(1, 0, new byte[0], 0, 1, 0, 0), PS, "ram.nameLength"),
                new HostilePacket("counts that disagree with the header", header("pc.ram", 2, 0, 0), 2 * PS,
                        "ram.headerLength"),
                new HostilePacket("an unknown block", header("pc.rom", 1, 0, 0), PS, "ram.block"),
                new HostilePacket("no page", header("pc.ram", 0, 0), 0, "ram.pages"),
                new HostilePacket("an offset beyond the block", header("pc.ram", 1, 0, last + PS), PS, "ram.offset"),
                new HostilePacket("a misaligned offset", header("pc.ram", 1, 0, 100), PS, "ram.offset"),
                new HostilePacket("an offset twice", header("pc.ram", 2, 0, PS, PS), 2 * PS, "ram.offset"),
                new HostilePacket("a raw length that disagrees with the pages", header("pc.ram", 1, 0, last), PS,
                        "ram.rawLength"));
    }

    @Override
    protected List<HostileSetupRecord> hostileSetupRecords() {
        return List.of(
                new HostileSetupRecord("another block length",
                        RamSetupRecord.of(RamPayload.DEFAULT_BATCH_BYTES, List.of(RamBlock.allocate("pc.ram", LEN + PS, PS)))
                                .encode(), "ram.setup.blockLength"),
                new HostileSetupRecord("an unknown block",
                        RamSetupRecord.of(RamPayload.DEFAULT_BATCH_BYTES, List.of(RamBlock.allocate("pc.rom", LEN, PS)))
                                .encode(), "ram.setup.name"),
                new HostileSetupRecord("a truncated record", ByteBuffer.allocate(3), "ram.setup.length"));
    }

    @Override
    protected List<PacketCap> packetCaps() {
        int cap = RamPayload.DEFAULT_BATCH_BYTES / PS;
        return List.of(new PacketCap("ram.pages", cap, pages -> {
            long[] offsets = new long[(int) pages];
            for (int i = 0; i < pages; i++) {
                offsets[i] = (long) i * PS;
            }
            return new PacketBytes(header("pc.ram", pages, 0, offsets), new byte[(int) pages * PS]);
        }));
    }
}
