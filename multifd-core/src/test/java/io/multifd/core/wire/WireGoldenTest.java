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
package io.multifd.core.wire;

import io.multifd.api.MalformedPacketException;
import io.multifd.api.ProtocolCode;
import io.multifd.api.SessionId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.EOFException;
import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every message of {@code docs/protocol.md} against fixed bytes: encoding gives exactly the golden
 * vector, decoding the vector gives the fields back, and each malformed variant is refused with
 * the field named. The CRCs in these vectors were cross-checked with an independent bitwise
 * CRC32C (Castagnoli, reflected polynomial 0x82F63B78). Changing a vector means changing the
 * protocol: bump the version.
 */
@Timeout(30)
class WireGoldenTest {

    private static final HexFormat HEX = HexFormat.of();
    private static final SessionId SESSION = new SessionId(0x0123456789abcdefL, 0xfedcba9876543210L);

    static final String HELLO = "4d464448" + "0001" + "0001" + "0123456789abcdeffedcba9876543210" + "0002" + "0004"
            + "0001" + "0007" + "00000000" + "00400000" + "6c6576656c3d33" + "22065bd0";
    static final String HELLO_ACCEPT = "4d464452" + "01" + "00" + "0000" + "0001" + "0000"
            + "0000000000000000" + "0000000000000000" + "2d01fa79";
    static final String HELLO_REFUSE = "4d464452" + "02" + "00" + "0003" + "0000" + "0003"
            + "0000000000000000" + "0000000000000000" + "626164" + "d7d5b7bc";
    static final String COMPLETED = "4d464452" + "05" + "00" + "0000" + "0000" + "0000"
            + "0000000000000007" + "0000000000001000" + "8e786edf";
    static final String MANIFEST = "4d46444d" + "0002" + "0000" + "00000013" + "0001" + "0000" + "00000003" + "090807"
            + "03e8" + "0000" + "00000000" + "7b45d5c5";
    static final String PACKET = "4d464450" + "0001" + "0014" + "0000000000000005" + "0000000000000002" + "00000018"
            + "00002000" + "00002000" + "11223344" + "55667788" + "cb96d19f";
    static final String EOS = "4d464450" + "0000" + "0002" + "0000000000000009" + "0000000000000003" + "00000010"
            + "00000000" + "00000000" + "00000000" + "0a0b0c0d" + "b9ff40cd";

    private static byte[] bytes(String hex) {
        return HEX.parseHex(hex);
    }

    private static String hex(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return HEX.formatHex(a);
    }

    private static byte[] withByte(String hex, int index, int value) {
        byte[] b = bytes(hex);
        b[index] = (byte) value;
        return b;
    }

    /** Recomputes the trailing CRC so that only the field under test is wrong. */
    private static byte[] recrc(byte[] b) {
        ByteBuffer.wrap(b).putInt(b.length - 4, Crc.ofArray(b, 0, b.length - 4));
        return b;
    }

    // ---------------------------------------------------------------- hello

    @Test
    void helloEncodesToTheGoldenVector() {
        Hello h = new Hello(1, 1, SESSION, 2, 4, 1, "level=3", 0, 4 << 20);
        assertThat(hex(h.encode())).isEqualTo(HELLO);
    }

    @Test
    void helloDecodesFromTheGoldenVector() throws Exception {
        Hello h = Hello.read(ByteSource.of(bytes(HELLO), -1));
        assertThat(h).isEqualTo(new Hello(1, 1, SESSION, 2, 4, 1, "level=3", 0, 4 << 20));
    }

    @Test
    void helloWithABadMagicIsRefused() {
        assertThatThrownBy(() -> Hello.read(ByteSource.of(withByte(HELLO, 0, 0x47), -1)))
                .isInstanceOfSatisfying(MalformedPacketException.class, e -> {
                    assertThat(e.code()).isEqualTo(ProtocolCode.BAD_MAGIC);
                    assertThat(e.field()).isEqualTo("hello.magic");
                    assertThat(e.value()).isEqualTo("0x47464448");
                });
    }

    @Test
    void helloWithABadCrcIsRefused() {
        byte[] b = bytes(HELLO);
        b[b.length - 1] ^= 1;
        assertThatThrownBy(() -> Hello.read(ByteSource.of(b, 3)))
                .isInstanceOfSatisfying(MalformedPacketException.class, e -> {
                    assertThat(e.code()).isEqualTo(ProtocolCode.BAD_CRC);
                    assertThat(e.field()).isEqualTo("hello.crc");
                    assertThat(e.getMessage()).startsWith("channel 3, stream offset 0, field 'hello.crc'");
                });
        byte[] c = bytes(HELLO);
        c[20] ^= 0x10; // a flipped bit in the session id
        assertThatThrownBy(() -> Hello.read(ByteSource.of(c, 0)))
                .isInstanceOf(MalformedPacketException.class).hasMessageContaining("hello.crc");
    }

    @Test
    void helloFieldsOutOfRangeAreRefusedNamingTheField() {
        record Case(int index, int value, ProtocolCode code, String field) {
        }
        // indexes of the low byte of: min version, channel id, channel count, features
        List<Case> cases = List.of(
                new Case(5, 2, ProtocolCode.UNSUPPORTED_VERSION, "hello.version"),   // min 2 > max 1
                new Case(25, 4, ProtocolCode.CHANNEL_ID_OUT_OF_RANGE, "hello.channel id"), // id == count
                new Case(27, 0, ProtocolCode.CHANNEL_COUNT, "hello.channel count"),
                new Case(35, 2, ProtocolCode.FEATURES, "hello.features")); // bit 0 is the return path
        for (Case c : cases) {
            byte[] b = recrc(withByte(HELLO, c.index(), c.value()));
            assertThatThrownBy(() -> Hello.read(ByteSource.of(b, -1))).as(c.field())
                    .isInstanceOfSatisfying(MalformedPacketException.class, e -> {
                        assertThat(e.code()).isEqualTo(c.code());
                        assertThat(e.field()).isEqualTo(c.field());
                    });
        }
        byte[] big = recrc(withByte(HELLO, 26, 1)); // channel count 260
        assertThatThrownBy(() -> Hello.read(ByteSource.of(big, -1)))
                .isInstanceOf(MalformedPacketException.class).hasMessageContaining("hello.channel count");
    }

    @Test
    void helloWithAnOverlongParameterLengthIsRefusedBeforeReading() {
        byte[] b = withByte(HELLO, 30, 0x01); // P = 0x0107 = 263 > 255
        assertThatThrownBy(() -> Hello.read(ByteSource.of(b, -1)))
                .isInstanceOfSatisfying(MalformedPacketException.class, e -> {
                    assertThat(e.code()).isEqualTo(ProtocolCode.LENGTH);
                    assertThat(e.field()).isEqualTo("hello.codec parameter length");
                    assertThat(e.value()).isEqualTo("263");
                });
    }

    @Test
    void truncatedHelloIsAnEndOfStream() {
        byte[] b = bytes(HELLO);
        for (int cut : new int[] {0, 3, 39, 40, b.length - 1}) {
            byte[] t = java.util.Arrays.copyOf(b, cut);
            assertThatThrownBy(() -> Hello.read(ByteSource.of(t, -1))).as("cut at %d", cut)
                    .isInstanceOf(EOFException.class);
        }
    }

    // ---------------------------------------------------------------- replies

    @Test
    void repliesEncodeToTheGoldenVectors() {
        assertThat(hex(Reply.helloAccept(1).encode())).isEqualTo(HELLO_ACCEPT);
        assertThat(hex(Reply.failure(Wire.REPLY_HELLO_REFUSE, ProtocolCode.SESSION_MISMATCH, "bad").encode()))
                .isEqualTo(HELLO_REFUSE);
        assertThat(hex(Reply.completed(7, 4096).encode())).isEqualTo(COMPLETED);
    }

    @Test
    void repliesDecodeFromTheGoldenVectors() throws Exception {
        assertThat(Reply.read(ByteSource.of(bytes(HELLO_ACCEPT), 0))).isEqualTo(Reply.helloAccept(1));
        Reply r = Reply.read(ByteSource.of(bytes(HELLO_REFUSE), 0));
        assertThat(r.code()).isEqualTo(ProtocolCode.SESSION_MISMATCH);
        assertThat(r.message()).isEqualTo("bad");
        assertThat(Reply.read(ByteSource.of(bytes(COMPLETED), 0))).isEqualTo(Reply.completed(7, 4096));
    }

    @Test
    void malformedRepliesAreRefusedNamingTheField() {
        assertThatThrownBy(() -> Reply.read(ByteSource.of(withByte(COMPLETED, 1, 0), 0)))
                .isInstanceOf(MalformedPacketException.class).hasMessageContaining("reply.magic");
        assertThatThrownBy(() -> Reply.read(ByteSource.of(withByte(COMPLETED, 20, 1), 0)))
                .isInstanceOf(MalformedPacketException.class).hasMessageContaining("reply.crc");
        assertThatThrownBy(() -> Reply.read(ByteSource.of(recrc(withByte(COMPLETED, 4, 9)), 0)))
                .isInstanceOf(MalformedPacketException.class).hasMessageContaining("reply.kind");
        assertThatThrownBy(() -> Reply.read(ByteSource.of(recrc(withByte(COMPLETED, 5, 1)), 0)))
                .isInstanceOf(MalformedPacketException.class).hasMessageContaining("reply.reserved");
        assertThatThrownBy(() -> Reply.read(ByteSource.of(withByte(COMPLETED, 10, 0x09), 0))) // M = 2304 > 2048
                .isInstanceOf(MalformedPacketException.class).hasMessageContaining("reply.message length");
    }

    @Test
    void aReturnMessageKeepsItsBytesExactlyAndIsNeverTreatedAsText() throws Exception {
        byte[] payload = {0, (byte) 0xFF, (byte) 0xC3, 0x28, 10, 27}; // not UTF-8, with control bytes
        ByteBuffer b = Reply.returned(1, ByteBuffer.wrap(payload)).encode();
        assertThat(b.get(4)).isEqualTo((byte) Wire.REPLY_RETURN);
        assertThat(b.getShort(10)).isEqualTo((short) payload.length);
        assertThat(b.getLong(12)).isEqualTo(1L); // value A: the payload type
        byte[] a = new byte[b.remaining()];
        b.get(a);
        Reply r = Reply.read(ByteSource.of(a, 0));
        assertThat(r.kind()).isEqualTo(Wire.REPLY_RETURN);
        assertThat(r.valueA()).isEqualTo(1);
        assertThat(r.data()).containsExactly(payload);
        assertThat(r.message()).isEmpty();
        assertThatThrownBy(() -> Reply.returned(1, ByteBuffer.allocate(Wire.MAX_REPLY_MESSAGE + 1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void codecParametersThatAreNotUtf8AreRefusedNotReplaced() throws Exception {
        ByteBuffer e = new Hello(1, 1, SESSION, 0, 1, 1, "level=3", 0, 4 << 20).encode();
        byte[] b = new byte[e.remaining()];
        e.get(b);
        b[Wire.HELLO_FIXED_LENGTH + 6] = (byte) 0x91; // "level=" then a lone continuation byte
        byte[] bad = recrc(b);
        assertThatThrownBy(() -> Hello.read(ByteSource.of(bad, -1))).isInstanceOfSatisfying(MalformedPacketException.class,
                x -> {
                    assertThat(x.code()).isEqualTo(ProtocolCode.CODEC_PARAMETERS);
                    assertThat(x.field()).isEqualTo("hello.codec parameters");
                }).hasMessageContaining("not valid UTF-8");
    }

    @Test
    void theReturnPathFeatureBitIsKnownAndOthersAreRefused() throws Exception {
        Hello h = new Hello(1, 1, SESSION, 2, 4, 1, "level=3", Wire.FEATURE_RETURN_PATH, 4 << 20);
        ByteBuffer e = h.encode();
        byte[] ok = new byte[e.remaining()];
        e.get(ok);
        assertThat(Hello.read(ByteSource.of(ok, -1)).features()).isEqualTo(Wire.FEATURE_RETURN_PATH);
        ByteBuffer f = new Hello(1, 1, SESSION, 2, 4, 1, "level=3", 0x2, 4 << 20).encode();
        byte[] bad = new byte[f.remaining()];
        f.get(bad);
        assertThatThrownBy(() -> Hello.read(ByteSource.of(bad, -1))).isInstanceOf(MalformedPacketException.class)
                .hasMessageContaining("hello.features").hasMessageContaining("unknown feature bits 0x2");
    }

    @Test
    void anUnknownCodeDecodesAsUnknown() throws Exception {
        byte[] b = recrc(withByte(HELLO_REFUSE, 7, 0x77));
        assertThat(Reply.read(ByteSource.of(b, 0)).code()).isEqualTo(ProtocolCode.UNKNOWN);
    }

    @Test
    void anOverlongMessageIsCutNotRefused() throws Exception {
        String longText = "x".repeat(5000);
        ByteBuffer b = Reply.failure(Wire.REPLY_ERROR, ProtocolCode.FAILED, longText).encode();
        byte[] a = new byte[b.remaining()];
        b.get(a);
        Reply r = Reply.read(ByteSource.of(a, 0));
        assertThat(r.message()).hasSizeLessThanOrEqualTo(Wire.MAX_REPLY_MESSAGE).endsWith("...");
    }

    // ---------------------------------------------------------------- manifest

    @Test
    void manifestEncodesAndDecodes() throws Exception {
        Manifest m = new Manifest(List.of(new Manifest.Record(1, new byte[] {9, 8, 7}), new Manifest.Record(1000, new byte[0])));
        assertThat(hex(m.encode())).isEqualTo(MANIFEST);
        Manifest d = Manifest.read(ByteSource.of(bytes(MANIFEST), 0), 1024);
        assertThat(d.records()).hasSize(2);
        assertThat(d.records().get(0).typeId()).isEqualTo(1);
        assertThat(d.records().get(0).bytes()).containsExactly(9, 8, 7);
        assertThat(d.records().get(1).typeId()).isEqualTo(1000);
        assertThat(d.records().get(1).bytes()).isEmpty();
    }

    @Test
    void malformedManifestsAreRefusedNamingTheField() {
        assertThatThrownBy(() -> Manifest.read(ByteSource.of(bytes(MANIFEST), 0), 18))
                .isInstanceOfSatisfying(MalformedPacketException.class, e -> {
                    assertThat(e.code()).isEqualTo(ProtocolCode.LENGTH);
                    assertThat(e.field()).isEqualTo("manifest.body length");
                    assertThat(e.value()).isEqualTo("19");
                });
        assertThatThrownBy(() -> Manifest.read(ByteSource.of(withByte(MANIFEST, 3, 0x4e), 0), 1024))
                .isInstanceOf(MalformedPacketException.class).hasMessageContaining("manifest.magic");
        assertThatThrownBy(() -> Manifest.read(ByteSource.of(withByte(MANIFEST, 14, 7), 0), 1024))
                .isInstanceOf(MalformedPacketException.class).hasMessageContaining("manifest.crc");
        // second record claims id 1 again
        assertThatThrownBy(() -> Manifest.read(ByteSource.of(recrc(withByte(withByteHex(MANIFEST, 23, 0), 24, 1)), 0), 1024))
                .isInstanceOf(MalformedPacketException.class).hasMessageContaining("declared twice");
        // first record's length runs past the body
        assertThatThrownBy(() -> Manifest.read(ByteSource.of(recrc(withByte(MANIFEST, 19, 0x40)), 0), 1024))
                .isInstanceOf(MalformedPacketException.class).hasMessageContaining("manifest.record[0].length");
        // record type 0
        assertThatThrownBy(() -> Manifest.read(ByteSource.of(recrc(withByte(MANIFEST, 13, 0)), 0), 1024))
                .isInstanceOf(MalformedPacketException.class).hasMessageContaining("manifest.record[0].payload type");
        // a count that does not fill the body
        assertThatThrownBy(() -> Manifest.read(ByteSource.of(recrc(withByte(MANIFEST, 5, 1)), 0), 1024))
                .isInstanceOf(MalformedPacketException.class).hasMessageContaining("manifest.body length");
        // over the record-count cap
        assertThatThrownBy(() -> Manifest.read(ByteSource.of(recrc(withByte(MANIFEST, 4, 2)), 0), 1024))
                .isInstanceOf(MalformedPacketException.class).hasMessageContaining("manifest.record count");
    }

    private static String withByteHex(String hex, int index, int value) {
        return HEX.formatHex(withByte(hex, index, value));
    }

    // ---------------------------------------------------------------- packet header

    @Test
    void packetHeadersEncodeToTheGoldenVectors() {
        PacketHeader h = new PacketHeader();
        h.typeId = 1;
        h.flags = Wire.FLAG_RAW | Wire.FLAG_DATA_CRC;
        h.sequence = 5;
        h.epoch = 2;
        h.headerLength = 24;
        h.rawLength = 8192;
        h.encodedLength = 8192;
        h.dataCrc = 0x11223344;
        h.payloadHeaderCrc = 0x55667788;
        ByteBuffer b = ByteBuffer.allocate(48);
        h.encode(b);
        assertThat(hex(b)).isEqualTo(PACKET);
        PacketHeader e = new PacketHeader();
        e.flags = Wire.FLAG_EOS;
        e.sequence = 9;
        e.epoch = 3;
        e.headerLength = 16;
        e.payloadHeaderCrc = 0x0a0b0c0d;
        e.encode(b);
        assertThat(hex(b)).isEqualTo(EOS);
    }

    @Test
    void packetHeadersDecodeFromTheGoldenVectors() throws Exception {
        PacketHeader h = new PacketHeader();
        h.decode(ByteBuffer.wrap(bytes(PACKET)), 0, 0);
        assertThat(h.typeId).isEqualTo(1);
        assertThat(h.flags).isEqualTo(Wire.FLAG_RAW | Wire.FLAG_DATA_CRC);
        assertThat(h.sequence).isEqualTo(5);
        assertThat(h.epoch).isEqualTo(2);
        assertThat(h.headerLength).isEqualTo(24);
        assertThat(h.rawLength).isEqualTo(8192);
        assertThat(h.encodedLength).isEqualTo(8192);
        assertThat(h.dataCrc).isEqualTo(0x11223344);
        assertThat(h.payloadHeaderCrc).isEqualTo(0x55667788);
        h.decode(ByteBuffer.wrap(bytes(EOS)), 0, 0);
        assertThat(h.flags).isEqualTo(Wire.FLAG_EOS);
        assertThat(h.headerLength).isEqualTo(16);
    }

    @Test
    void malformedPacketHeadersAreRefusedNamingTheField() {
        PacketHeader h = new PacketHeader();
        assertThatThrownBy(() -> h.decode(ByteBuffer.wrap(withByte(PACKET, 3, 0x51)), 2, 4096))
                .isInstanceOfSatisfying(MalformedPacketException.class, e -> {
                    assertThat(e.code()).isEqualTo(ProtocolCode.BAD_MAGIC);
                    assertThat(e.field()).isEqualTo("packet.magic");
                    assertThat(e.channel()).isEqualTo(2);
                    assertThat(e.streamOffset()).isEqualTo(4096);
                });
        assertThatThrownBy(() -> h.decode(ByteBuffer.wrap(withByte(PACKET, 30, 0x21)), 0, 0))
                .isInstanceOfSatisfying(MalformedPacketException.class, e -> {
                    assertThat(e.code()).isEqualTo(ProtocolCode.BAD_CRC);
                    assertThat(e.field()).isEqualTo("packet.header crc");
                });
        assertThatThrownBy(() -> h.decode(ByteBuffer.wrap(recrc48(withByte(PACKET, 6, 0x80))), 0, 0))
                .isInstanceOfSatisfying(MalformedPacketException.class, e -> assertThat(e.field()).isEqualTo("packet.flags"));
    }

    /** Recomputes a packet header's CRC (bytes 44..48). */
    private static byte[] recrc48(byte[] b) {
        ByteBuffer.wrap(b).putInt(44, Crc.ofArray(b, 0, 44));
        return b;
    }
}
