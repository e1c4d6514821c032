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
import io.multifd.api.MigrationFailedException;
import io.multifd.api.MultiFdException;
import io.multifd.api.ProtocolCode;
import io.multifd.api.RemoteFailureException;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The receiver's packet parser over bytes in memory: what it accepts in sequence, and each check
 * it makes before a payload plug-in sees a packet, with the field named. No socket, no thread.
 */
class PacketReaderTest {

    private static final int MAX_PAYLOAD_HEADER = 256;
    private static final int MAX_DATA = 1 << 16;

    /** Builds a channel's inbound stream packet by packet, numbering them. */
    private static final class Stream {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private long sequence;
        private long epoch;

        Stream control(int flags, byte[] body) {
            PacketHeader h = new PacketHeader();
            h.flags = flags;
            return packet(h, body, new byte[0]);
        }

        Stream data(int typeId, int flags, byte[] body, int raw, int encoded) {
            PacketHeader h = new PacketHeader();
            h.typeId = typeId;
            h.flags = flags;
            h.rawLength = raw;
            h.encodedLength = encoded;
            return packet(h, body, new byte[encoded]);
        }

        Stream packet(PacketHeader h, byte[] body, byte[] data) {
            h.sequence = sequence++;
            h.epoch = h.epoch == 0 ? epoch : h.epoch;
            h.headerLength = body.length;
            h.payloadHeaderCrc = body.length == 0 ? 0 : Crc.ofArray(body, 0, body.length);
            if ((h.flags & Wire.FLAG_SYNC) != 0 && h.typeId == 0) {
                epoch++;
            }
            ByteBuffer b = ByteBuffer.allocate(Wire.PACKET_HEADER_LENGTH);
            h.encode(b);
            out.write(b.array(), 0, Wire.PACKET_HEADER_LENGTH);
            out.write(body, 0, body.length);
            out.write(data, 0, data.length);
            return this;
        }

        PacketReader reader(PacketReader.Gate gate) {
            return new PacketReader(ByteSource.of(out.toByteArray(), 3), 3, MAX_PAYLOAD_HEADER, MAX_DATA, gate);
        }

        PacketReader reader() {
            return reader(() -> { });
        }
    }

    private static byte[] eos(long packets, long bytes) {
        return ByteBuffer.allocate(Wire.EOS_LENGTH).putLong(packets).putLong(bytes).array();
    }

    private static void expectBad(ThrowingStep step, ProtocolCode code, String field) {
        assertThatThrownBy(step::run).isInstanceOfSatisfying(MalformedPacketException.class, e -> {
            assertThat(e.code()).isEqualTo(code);
            assertThat(e.field()).isEqualTo(field);
            assertThat(e.channel()).isEqualTo(3);
        });
    }

    @FunctionalInterface
    private interface ThrowingStep {
        void run() throws Exception;
    }

    @Test
    void aWellFormedStreamReadsInOrder() throws Exception {
        byte[] body = {1, 2, 3};
        PacketReader r = new Stream()
                .control(0, new byte[0])
                .data(9, Wire.FLAG_RAW, body, 5, 5)
                .reader();
        r.readHeader("packet header");
        assertThat(r.isControl()).isTrue();
        assertThat(r.control()).isEqualTo(PacketReader.Control.KEEPALIVE);

        r.readHeader("packet header");
        assertThat(r.isControl()).isFalse();
        assertThat(r.headerOffset()).isEqualTo(Wire.PACKET_HEADER_LENGTH);
        r.checkDataPacket(true);
        r.readPayloadHeader();
        byte[] got = new byte[3];
        r.payloadHeader().get(got);
        assertThat(got).isEqualTo(body);
        assertThat(r.payloadHeader().isReadOnly()).isTrue();
        r.checkDataCrc(0);

        PacketReader s = new Stream()
                .control(Wire.FLAG_SYNC, new byte[0])
                .control(0, new byte[0])
                .control(Wire.FLAG_EOS, eos(0, 0))
                .control(Wire.FLAG_COMMIT, new byte[0])
                .reader();
        s.readHeader("packet header");
        assertThat(s.control()).isEqualTo(PacketReader.Control.SYNC);
        assertThat(s.epoch()).as("the epoch moves only when the channel says so").isZero();
        s.nextEpoch();
        assertThat(s.epoch()).isEqualTo(1);
        s.readHeader("packet header");
        assertThat(s.control()).isEqualTo(PacketReader.Control.KEEPALIVE);
        s.readHeader("packet header");
        assertThat(s.control()).isEqualTo(PacketReader.Control.EOS);
        EndExchange.checkEos(s.eosBody(), 3, s.headerOffset(), 0, 0);
        s.readCommit();
    }

    @Test
    void aSequenceGapIsRefused() throws Exception {
        Stream st = new Stream().control(0, new byte[0]);
        st.sequence++;
        PacketReader r = st.control(0, new byte[0]).reader();
        r.readHeader("packet header");
        r.control();
        expectBad(() -> r.readHeader("packet header"), ProtocolCode.MALFORMED, "packet.sequence");
    }

    @Test
    void aPacketOfAnotherEpochIsRefused() {
        PacketHeader h = new PacketHeader();
        h.epoch = 4;
        PacketReader r = new Stream().packet(h, new byte[0], new byte[0]).reader();
        expectBad(() -> r.readHeader("packet header"), ProtocolCode.MALFORMED, "packet.epoch");
    }

    @Test
    void lengthsOverTheirCapsAreRefusedBeforeAnythingIsRead() {
        PacketHeader h = new PacketHeader();
        h.typeId = 9;
        h.flags = Wire.FLAG_RAW;
        h.rawLength = MAX_DATA + 1;
        h.encodedLength = MAX_DATA + 1;
        PacketReader raw = new Stream().packet(h, new byte[0], new byte[0]).reader();
        expectBad(() -> raw.readHeader("packet header"), ProtocolCode.LENGTH, "packet.raw length");

        PacketHeader e = new PacketHeader();
        e.typeId = 9;
        e.rawLength = 10;
        e.encodedLength = MAX_DATA + 1;
        PacketReader enc = new Stream().packet(e, new byte[0], new byte[0]).reader();
        expectBad(() -> enc.readHeader("packet header"), ProtocolCode.LENGTH, "packet.encoded length");

        PacketReader ph = new Stream().data(9, Wire.FLAG_RAW, new byte[MAX_PAYLOAD_HEADER + 1], 0, 0).reader();
        expectBad(() -> ph.readHeader("packet header"), ProtocolCode.LENGTH, "packet.payload header length");
    }

    @Test
    void aSpoiledPayloadHeaderCrcIsRefused() throws Exception {
        PacketHeader h = new PacketHeader();
        h.typeId = 9;
        h.flags = Wire.FLAG_RAW;
        Stream st = new Stream();
        byte[] body = {7, 7, 7};
        st.packet(h, body, new byte[0]);
        byte[] bytes = st.out.toByteArray();
        bytes[Wire.PACKET_HEADER_LENGTH] ^= 1; // a payload header byte, not covered by the header CRC
        PacketReader r = new PacketReader(ByteSource.of(bytes, 3), 3, MAX_PAYLOAD_HEADER, MAX_DATA, () -> { });
        r.readHeader("packet header");
        r.checkDataPacket(true);
        expectBad(r::readPayloadHeader, ProtocolCode.BAD_CRC, "packet.payload header crc");
    }

    @Test
    void controlPacketsAreChecked() throws Exception {
        PacketReader commitTooEarly = new Stream().control(Wire.FLAG_COMMIT, new byte[0]).reader();
        commitTooEarly.readHeader("packet header");
        expectBad(commitTooEarly::control, ProtocolCode.MALFORMED, "packet.flags");

        PacketReader twoFlags = new Stream().control(Wire.FLAG_SYNC | Wire.FLAG_EOS, new byte[0]).reader();
        twoFlags.readHeader("packet header");
        expectBad(twoFlags::control, ProtocolCode.MALFORMED, "packet.flags");

        PacketReader shortEos = new Stream().control(Wire.FLAG_EOS, new byte[8]).reader();
        shortEos.readHeader("packet header");
        expectBad(shortEos::control, ProtocolCode.MALFORMED, "packet.payload header length");

        PacketReader syncWithBody = new Stream().control(Wire.FLAG_SYNC, new byte[1]).reader();
        syncWithBody.readHeader("packet header");
        expectBad(syncWithBody::control, ProtocolCode.MALFORMED, "packet.payload header length");

        PacketHeader withData = new PacketHeader();
        withData.rawLength = 4;
        withData.encodedLength = 4;
        PacketReader controlWithData = new Stream().packet(withData, new byte[0], new byte[4]).reader();
        controlWithData.readHeader("packet header");
        expectBad(controlWithData::control, ProtocolCode.MALFORMED, "packet.raw length");
    }

    /** A reader positioned after the header of an ABORT packet carrying {@code reason}. */
    static PacketReader abortReader(byte[] reason) throws Exception {
        PacketReader r = new Stream().control(Wire.FLAG_ABORT, reason).reader();
        r.readHeader("packet header");
        return r;
    }

    @Test
    void anAbortEndsTheChannelWithTheSendersReason() throws Exception {
        PacketReader r = new Stream().control(Wire.FLAG_ABORT, "disk full".getBytes(StandardCharsets.UTF_8)).reader();
        r.readHeader("packet header");
        assertThatThrownBy(r::control).isInstanceOfSatisfying(RemoteFailureException.class, e -> {
            assertThat(e.code()).isEqualTo(ProtocolCode.ABORTED);
            assertThat(e.getMessage()).isEqualTo("the sender aborted: disk full");
        });
    }

    @Test
    void onlyACommitOrAnAbortMayFollowTheEndOfTheStream() throws Exception {
        PacketReader keepalive = new Stream().control(0, new byte[0]).reader();
        expectBad(keepalive::readCommit, ProtocolCode.MALFORMED, "packet.flags");

        PacketReader data = new Stream().data(9, Wire.FLAG_RAW, new byte[0], 0, 0).reader();
        expectBad(data::readCommit, ProtocolCode.MALFORMED, "packet.flags");

        PacketReader abort = new Stream().control(Wire.FLAG_ABORT, "late".getBytes(StandardCharsets.UTF_8)).reader();
        assertThatThrownBy(abort::readCommit).isInstanceOf(RemoteFailureException.class).hasMessageContaining("late");

        PacketReader cut = new Stream().reader();
        assertThatThrownBy(cut::readCommit).isInstanceOf(EOFException.class);
    }

    @Test
    void aCommitCarriesNoData() throws Exception {
        PacketHeader withData = new PacketHeader();
        withData.flags = Wire.FLAG_COMMIT;
        withData.rawLength = 4;
        withData.encodedLength = 4;
        PacketReader commitWithData = new Stream().packet(withData, new byte[0], new byte[4]).reader();
        expectBad(commitWithData::readCommit, ProtocolCode.MALFORMED, "packet.raw length");

        PacketHeader withCrc = new PacketHeader();
        withCrc.flags = Wire.FLAG_COMMIT;
        withCrc.dataCrc = 0x1234;
        PacketReader commitWithCrc = new Stream().packet(withCrc, new byte[0], new byte[0]).reader();
        expectBad(commitWithCrc::readCommit, ProtocolCode.MALFORMED, "packet.raw length");

        PacketReader commit = new Stream().control(Wire.FLAG_COMMIT, new byte[0]).reader();
        commit.readCommit(); // a plain COMMIT passes
    }

    @Test
    void dataPacketFlagsAndLengthsMustAgree() throws Exception {
        Object[][] cases = {
                // flags, raw, encoded, codec is none, field
                {Wire.FLAG_RAW | Wire.FLAG_SYNC, 4, 4, true, "packet.flags"},
                {0, 0, 3, true, "packet.encoded length"},
                {Wire.FLAG_RESET, 0, 0, false, "packet.encoded length"},
                {Wire.FLAG_RAW, 8, 7, true, "packet.encoded length"},
                {Wire.FLAG_RAW | Wire.FLAG_RESET, 8, 8, false, "packet.flags"},
                {0, 8, 4, true, "packet.flags"},
                {0, 8, 8, false, "packet.encoded length"},
        };
        for (Object[] c : cases) {
            PacketReader r = new Stream().data(9, (int) c[0], new byte[0], (int) c[1], (int) c[2]).reader();
            r.readHeader("packet header");
            expectBad(() -> r.checkDataPacket((boolean) c[3]), ProtocolCode.MALFORMED, (String) c[4]);
        }
        PacketReader ok = new Stream().data(9, Wire.FLAG_RESET | Wire.FLAG_DATA_CRC, new byte[0], 8, 4).reader();
        ok.readHeader("packet header");
        ok.checkDataPacket(false);
        expectBad(() -> ok.checkDataCrc(ok.header().dataCrc ^ 1), ProtocolCode.BAD_CRC, "packet.data crc");
    }

    @Test
    void theGateStopsReadingAfterAHeaderWasRead() throws Exception {
        MultiFdException first = new MultiFdException(ProtocolCode.TRANSPORT, "channel 1 was cut");
        PacketReader r = new Stream().control(0, new byte[0]).reader(() -> {
            throw new MigrationFailedException("aborted", first);
        });
        assertThatThrownBy(() -> r.readHeader("packet header")).isInstanceOf(MigrationFailedException.class).hasCause(first);
    }
}
