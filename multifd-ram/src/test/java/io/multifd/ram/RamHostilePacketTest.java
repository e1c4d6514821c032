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

import io.multifd.api.MalformedPacketException;
import io.multifd.api.spi.PayloadChannelReceiver;
import io.multifd.testing.FakeDataTargets;
import io.multifd.testing.FakeIncomingPacket;
import io.multifd.testing.FakeReceiveContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every hostile RAM packet is refused with the field named, before any destination byte is
 * written and before any target is named.
 */
@Timeout(30)
class RamHostilePacketTest {

    static final int PS = 4096;
    static final long LEN = 64 * PS + 100; // a partial last page of 100 bytes
    RamBlock dst;
    RamBlock huge;
    PayloadChannelReceiver rx;
    String before;

    @BeforeEach
    void setUp() throws IOException {
        dst = RamBlock.allocate("pc.ram", LEN, PS);
        Images.fillMixed(dst, 3);
        huge = RamBlock.allocate("huge", 4 << 20, 2 << 20); // cap: 1 page per packet (batch 512 KiB)
        RamBlock srcA = RamBlock.allocate("pc.ram", LEN, PS);
        RamBlock srcB = RamBlock.allocate("huge", 4 << 20, 2 << 20);
        ByteBuffer record = RamSetupRecord.of(RamPayload.DEFAULT_BATCH_BYTES, List.of(srcA, srcB)).encode();
        rx = RamPayload.receiving(RamDestination.of(dst, huge))
                .openReceiver(FakeReceiveContext.strict(1, RamPayloadTest.CONFIG), record).openChannel(0);
        before = Images.sha256(dst);
    }

    static ByteBuffer header(int version, int flags, byte[] name, int nameLength, long normal, long zero, long... offsets) {
        ByteBuffer h = ByteBuffer.allocate(12 + name.length + 8 * offsets.length);
        h.put((byte) version).put((byte) flags).putShort((short) nameLength).putInt((int) normal).putInt((int) zero)
                .put(name);
        for (long o : offsets) {
            h.putLong(o);
        }
        return h.flip();
    }

    static ByteBuffer header(String name, long normal, long zero, long... offsets) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        return header(1, 0, n, n.length, normal, zero, offsets);
    }

    void refused(ByteBuffer header, int rawLength, String field, String valueOrNull, String reasonPart) {
        FakeIncomingPacket in = new FakeIncomingPacket(3).header(header).rawLength(rawLength);
        FakeDataTargets t = new FakeDataTargets();
        assertThatThrownBy(() -> rx.begin(in, t))
                .isInstanceOfSatisfying(MalformedPacketException.class, e -> {
                    assertThat(e.field()).isEqualTo(field);
                    if (valueOrNull != null) {
                        assertThat(e.value()).isEqualTo(valueOrNull);
                    }
                    assertThat(e.channel()).isEqualTo(3);
                })
                .hasMessageContaining(reasonPart);
        assertThat(t.targets()).as("no target named").isEmpty();
        assertThat(Images.sha256(dst)).as("nothing written").isEqualTo(before);
    }

    @Test
    void aValidPacketIsAccepted() throws IOException {
        byte[] data = new byte[PS + 100];
        data[0] = 1;
        FakeIncomingPacket in = new FakeIncomingPacket(0).header(header("pc.ram", 2, 1, 0, 64L * PS, PS));
        FakeDataTargets.deliver(rx, in, data);
        assertThat(in.items()).isEqualTo(2);
        assertThat(in.elidedItems()).isEqualTo(1);
        assertThat(dst.get(0)).isEqualTo((byte) 1);
        assertThat(dst.isZeroPage(PS)).isTrue();
    }

    @Test
    void versionFlagsAndShortHeaders() {
        byte[] n = "pc.ram".getBytes(StandardCharsets.UTF_8);
        refused(header(2, 0, n, n.length, 1, 0, 0), PS, "ram.version", "2", "version 1");
        refused(header(1, 0x80, n, n.length, 1, 0, 0), PS, "ram.flags", "128", "reserved");
        refused(ByteBuffer.allocate(11), 0, "ram.headerLength", "11", "shorter");
    }

    @Test
    void nameLengthZeroOrOverLong() {
        byte[] n = "pc.ram".getBytes(StandardCharsets.UTF_8);
        refused(header(1, 0, new byte[0], 0, 1, 0, 0), PS, "ram.nameLength", "0", "1 to 255");
        byte[] longName = "x".repeat(300).getBytes(StandardCharsets.UTF_8);
        refused(header(1, 0, longName, 300, 1, 0, 0), PS, "ram.nameLength", "300", "1 to 255");
        refused(header(1, 0, n, 0xFFFF, 1, 0, 0), PS, "ram.nameLength", "65535", "1 to 255");
    }

    @Test
    void headerLengthMustMatchTheCounts() {
        // says 2 normal pages, carries 1 offset
        refused(header("pc.ram", 2, 0, 0), 2 * PS, "ram.headerLength", null, "is 34 bytes");
        // name length larger than the bytes present
        byte[] n = "pc.ram".getBytes(StandardCharsets.UTF_8);
        refused(header(1, 0, n, 200, 1, 0, 0), PS, "ram.headerLength", null, "200-byte name");
    }

    @Test
    void unknownBlock() {
        refused(header("pc.rom", 1, 0, 0), PS, "ram.block", "'pc.rom'", "no block");
        refused(header("pc.ra", 1, 0, 0), PS, "ram.block", "'pc.ra'", "no block");
        refused(header("pc.ram\0", 1, 0, 0), PS, "ram.block", "'pc.ram?'", "no block");
    }

    @Test
    void pageCountsOverTheCapOrDisagreeing() {
        refused(header("pc.ram", 0, 0), 0, "ram.pages", "0", "at least one page");
        refused(header("pc.ram", 0xFFFFFFFFL, 1), 0, "ram.pages", "4294967296", "over the cap of 128");
        refused(header("pc.ram", 129, 0, new long[129]), 129 * PS, "ram.pages", "129", "over the cap of 128");
        // the huge-page block's cap is 1 page per packet (512 KiB batch, 2 MiB pages)
        refused(header("huge", 2, 0, 0, 2 << 20), 4 << 20, "ram.normalPages", "2", "cap of 1");
        refused(header("huge", 1, 1, 0, 2 << 20), 2 << 20, "ram.zeroPages", "1", "cap of 1");
        refused(header("huge", 0, 2, 0, 2 << 20), 0, "ram.zeroPages", "2", "cap of 1");
        // normal pages vs raw length
        refused(header("pc.ram", 2, 0, 0, PS), PS, "ram.rawLength", String.valueOf(PS), "carry 8192 bytes");
        refused(header("pc.ram", 1, 1, 0, PS), 2 * PS, "ram.rawLength", null, "carry 4096 bytes");
        refused(header("pc.ram", 0, 1, 0), 1, "ram.rawLength", "1", "carry 0 bytes");
        // the partial last page carries 100 bytes, not a page
        refused(header("pc.ram", 1, 0, 64L * PS), PS, "ram.rawLength", null, "carry 100 bytes");
    }

    @Test
    void offsetsBeyondTheBlockOrMisaligned() {
        refused(header("pc.ram", 1, 0, 65L * PS), PS, "ram.offset", String.valueOf(65L * PS), "beyond block 'pc.ram'");
        refused(header("pc.ram", 1, 0, Long.MAX_VALUE), PS, "ram.offset", String.valueOf(Long.MAX_VALUE), "beyond");
        refused(header("pc.ram", 1, 0, -4096L), PS, "ram.offset", Long.toUnsignedString(-4096L), "beyond");
        refused(header("pc.ram", 1, 0, 100), PS, "ram.offset", "100", "not a multiple of the page size 4096");
        refused(header("pc.ram", 1, 1, 0, 4095), PS, "ram.offset", "4095", "not a multiple");
        refused(header("huge", 1, 0, 4096), 2 << 20, "ram.offset", "4096", "page size 2097152");
    }

    @Test
    void duplicateOffsets() {
        refused(header("pc.ram", 2, 0, PS, PS), 2 * PS, "ram.offset", String.valueOf(PS), "twice");
        refused(header("pc.ram", 1, 1, PS, PS), PS, "ram.offset", String.valueOf(PS), "twice");
        refused(header("pc.ram", 3, 0, 3 * PS, 0, 3 * PS), 3 * PS, "ram.offset", String.valueOf(3 * PS), "twice");
        refused(header("pc.ram", 2, 2, 5 * PS, 2 * PS, 9 * PS, 5 * PS), 2 * PS, "ram.offset", String.valueOf(5 * PS), "twice");
    }

    @Test
    void unsortedDistinctOffsetsAreFine() throws IOException {
        byte[] data = new byte[3 * PS];
        data[0] = 5;
        data[PS] = 6;
        data[2 * PS] = 7;
        FakeDataTargets.deliver(rx, new FakeIncomingPacket(0).header(header("pc.ram", 3, 1, 9 * PS, 2 * PS, 0, 4 * PS)), data);
        assertThat(dst.get(9 * PS)).isEqualTo((byte) 5);
        assertThat(dst.get(2 * PS)).isEqualTo((byte) 6);
        assertThat(dst.get(0)).isEqualTo((byte) 7);
        assertThat(dst.isZeroPage(4 * PS)).isTrue();
    }
}
