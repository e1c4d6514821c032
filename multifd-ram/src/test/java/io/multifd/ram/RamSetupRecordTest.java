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

import io.multifd.api.MultiFdConfig;
import io.multifd.api.SetupRefusedException;
import io.multifd.testing.FakeReceiveContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(30)
class RamSetupRecordTest {

    static final long LIMIT = RamPayload.DEFAULT_MAX_TOTAL_BYTES;

    @Test
    void goldenBytesAndRoundTrip() throws SetupRefusedException {
        RamSetupRecord r = new RamSetupRecord(512 << 10,
                List.of(new RamBlockInfo("pc.ram", 1L << 32, 4096), new RamBlockInfo("é", 1000, 512)));
        ByteBuffer b = r.encode();
        assertThat(HexFormat.of().formatHex(b.array(), 0, b.limit())).isEqualTo(
                "0100" + "0002" + "00080000"
                        + "06" + "70632e72616d" + "00001000" + "0000000100000000"
                        + "02" + "c3a9" + "00000200" + "00000000000003e8");
        ByteBuffer shifted = ByteBuffer.allocate(b.limit() + 3);
        shifted.position(3);
        shifted.put(b.duplicate()).position(3);
        assertThat(RamSetupRecord.decode(shifted, LIMIT)).isEqualTo(r);
        assertThat(shifted.position()).isEqualTo(3);
        assertThat(r.totalBytes()).isEqualTo((1L << 32) + 1000);
        assertThat(r.pagesPerPacket(4096)).isEqualTo(128);
        assertThat(r.pagesPerPacket(2 << 20)).isEqualTo(1);
    }

    static ByteBuffer valid() {
        return new RamSetupRecord(512 << 10, List.of(new RamBlockInfo("a", 8192, 4096), new RamBlockInfo("b", 4096, 4096)))
                .encode();
    }

    static void refused(ByteBuffer record, long limit, String field, String messagePart) {
        assertThatThrownBy(() -> RamSetupRecord.decode(record, limit))
                .isInstanceOf(SetupRefusedException.class)
                .hasMessageContaining("'ram.setup." + field + "'")
                .hasMessageContaining(messagePart);
    }

    static ByteBuffer patched(Consumer<ByteBuffer> patch) {
        ByteBuffer b = valid();
        patch.accept(b);
        return b;
    }

    @Test
    void malformedRecordsAreRefusedNamingTheField() {
        // layout of valid(): 8 fixed, then "a": [8]=1 [9]='a' [10..14) page [14..22) length, then "b" at 22
        refused(ByteBuffer.allocate(5), LIMIT, "length", "shorter");
        refused(patched(b -> b.put(0, (byte) 2)), LIMIT, "version", "= 2");
        refused(patched(b -> b.put(1, (byte) 2)), LIMIT, "flags", "bit 1 (resume, with bit 0)");
        refused(patched(b -> b.putShort(2, (short) 0)), LIMIT, "blockCount", "= 0");
        refused(patched(b -> b.putShort(2, (short) 5000)), LIMIT, "blockCount", "= 5000");
        refused(patched(b -> b.putShort(2, (short) 3)), LIMIT, "length", "ends inside block entry 2");
        refused(patched(b -> b.putShort(2, (short) 1)), LIMIT, "length", "14 bytes after the last");
        refused(patched(b -> b.putInt(4, 100)), LIMIT, "batchBytes", "= 100");
        refused(patched(b -> b.putInt(4, -1)), LIMIT, "batchBytes", "= 4294967295");
        refused(patched(b -> b.put(8, (byte) 0)), LIMIT, "nameLength", "= 0");
        refused(patched(b -> b.put(8, (byte) 200)), LIMIT, "length", "ends inside block entry 0");
        refused(patched(b -> b.put(9, (byte) 0xC3)), LIMIT, "name", "not valid UTF-8");
        refused(patched(b -> b.put(9, (byte) 0)), LIMIT, "name", "NUL");
        refused(patched(b -> b.put(23, (byte) 'a')), LIMIT, "name", "announced twice");
        refused(patched(b -> b.putInt(10, 3000)), LIMIT, "pageSize", "= 3000");
        refused(patched(b -> b.putInt(10, 256)), LIMIT, "pageSize", "= 256");
        refused(patched(b -> b.putInt(10, 4 << 20)), LIMIT, "pageSize", "= 4194304");
        refused(patched(b -> b.putLong(14, 0)), LIMIT, "blockLength", "= 0");
        refused(patched(b -> b.putLong(14, -1)), LIMIT, "blockLength", "= 18446744073709551615");
        refused(patched(b -> b.limit(b.limit() - 1)), LIMIT, "length", "ends inside block entry 1");
    }

    @Test
    void totalOverTheReceiversLimitIsRefused() {
        ByteBuffer big = new RamSetupRecord(512 << 10, List.of(new RamBlockInfo("pc.ram", 65L << 30, 4096))).encode();
        refused(big, LIMIT, "blockLength", "over this receiver's limit of 68719476736 bytes");
        List<RamBlockInfo> many = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            many.add(new RamBlockInfo("b" + i, 40L << 30, 4096));
        }
        refused(new RamSetupRecord(4096, many).encode(), LIMIT, "blockLength", "block 'b1' brings the total to");
    }

    @Test
    void receiverRefusesBatchesItsCapsCannotCarry() {
        MultiFdConfig small = MultiFdConfig.builder().maxPacketDataLength(256 << 10).build();
        ByteBuffer r = new RamSetupRecord(512 << 10, List.of(new RamBlockInfo("a", 1 << 20, 4096))).encode();
        RamPayload p = RamPayload.receiving(RamDestination.allocating(new ArrayList<>()));
        assertThatThrownBy(() -> p.openReceiver(FakeReceiveContext.strict(1, small), r))
                .isInstanceOf(SetupRefusedException.class).hasMessageContaining("'ram.setup.batchBytes'")
                .hasMessageContaining("maxPacketDataLength");
        MultiFdConfig smallHeader = MultiFdConfig.builder().maxPayloadHeaderLength(1024).build();
        assertThatThrownBy(() -> p.openReceiver(FakeReceiveContext.strict(1, smallHeader), r.duplicate()))
                .isInstanceOf(SetupRefusedException.class).hasMessageContaining("maxPayloadHeaderLength");
    }

    @Test
    void aReceiverWithoutDestinationRefuses() {
        assertThatThrownBy(() -> new RamPayload().openReceiver(FakeReceiveContext.strict(1, MultiFdConfig.defaults()), valid()))
                .isInstanceOf(SetupRefusedException.class).hasMessageContaining("no RAM destination");
    }

    @Test
    void aBlockNameWithControlCharactersIsShownEscapedInTheRefusal() {
        String hostile = "ram\u001b[2J\r\nFAKE\u007f\u00e9\\x41";
        ByteBuffer record = new RamSetupRecord(4096, java.util.List.of(new RamBlockInfo(hostile, 1 << 20, 4096)))
                .encode();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> RamSetupRecord.decode(record, 4096))
                .isInstanceOf(io.multifd.api.SetupRefusedException.class)
                .hasMessageContaining("block 'ram\\x1b[2J\\x0d\\x0aFAKE\\x7f\\u00e9\\\\x41' brings the total to 1048576")
                .satisfies(e -> org.assertj.core.api.Assertions.assertThat(e.getMessage())
                        .doesNotContain("\n", "\r", "\u001b"));
    }
}
