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
import io.multifd.api.spi.PeerText;
import io.multifd.api.RemoteFailureException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The receiver's packet parser for one channel: reads each packet header and payload header,
 * and checks everything the wire rules decide before a payload plug-in sees the packet: sequence,
 * epoch, the caps on every length (before anything is read or allocated), CRCs, which flags a
 * control or data packet may carry and how its lengths must agree. It reads no packet data: the
 * channel reads the data into the buffers the payload names.
 *
 * <p>Confined to the channel's thread. Reuses its buffers: steady state allocates nothing.
 */
public final class PacketReader {

    /** What a control packet was (data packets are not control packets). */
    public enum Control {
        /** Nothing: the sender is alive. */
        KEEPALIVE,
        /** The end of the current epoch on this channel. */
        SYNC,
        /** The end of the stream on this channel; its counts were read ({@link #eosBody()}). */
        EOS
    }

    /** Checked after each header was read and before it is parsed. */
    @FunctionalInterface
    public interface Gate {
        /**
         * @throws IOException to stop reading, for instance because the migration failed meanwhile
         */
        void check() throws IOException;
    }

    private final ByteSource in;
    private final int channel;
    private final int maxPayloadHeaderLength;
    private final int maxDataLength;
    private final Gate gate;
    private final PacketHeader header = new PacketHeader();
    private final ByteBuffer headerBuf = ByteBuffer.allocateDirect(Wire.PACKET_HEADER_LENGTH);
    private final ByteBuffer payloadHeader;
    private final ByteBuffer payloadHeaderView;
    private final Crc crc = new Crc();
    private long expectedSequence;
    private long epoch;
    private long headerOffset;

    /**
     * @param in                     the channel's inbound stream
     * @param channel                the channel id, for messages
     * @param maxPayloadHeaderLength the cap on payload headers
     * @param maxDataLength          the cap on raw and encoded data lengths (the session's)
     * @param gate                   checked after every header is read
     */
    public PacketReader(ByteSource in, int channel, int maxPayloadHeaderLength, int maxDataLength, Gate gate) {
        this.in = in;
        this.channel = channel;
        this.maxPayloadHeaderLength = maxPayloadHeaderLength;
        this.maxDataLength = maxDataLength;
        this.gate = gate;
        this.payloadHeader = ByteBuffer.allocateDirect(maxPayloadHeaderLength);
        this.payloadHeaderView = payloadHeader.asReadOnlyBuffer();
    }

    /** The header of the current packet; valid until the next {@link #readHeader}. */
    public PacketHeader header() {
        return header;
    }

    /** The stream offset of the current packet. */
    public long headerOffset() {
        return headerOffset;
    }

    /** The current payload header, read-only, position 0 and limit its length. */
    public ByteBuffer payloadHeader() {
        return payloadHeaderView;
    }

    /** The epoch this channel is in: SYNC markers read so far. */
    public long epoch() {
        return epoch;
    }

    /**
     * Reads the next packet header and checks it: magic, CRC, flag bits, sequence, epoch, and the
     * caps on the payload header length, the raw length and the encoded length.
     *
     * @param what what is expected, for messages ("packet header", "COMMIT")
     * @throws MalformedPacketException naming the field
     * @throws IOException              if the stream ends or fails, or the gate says stop
     */
    public void readHeader(String what) throws IOException {
        headerOffset = in.offset();
        headerBuf.clear();
        in.readFully(headerBuf, what);
        gate.check();
        header.decode(headerBuf, channel, headerOffset);
        if (header.sequence != expectedSequence) {
            throw bad(ProtocolCode.MALFORMED, "packet.sequence", header.sequence, "expected " + expectedSequence
                    + " (a packet was lost, duplicated or reordered)");
        }
        expectedSequence++;
        if (header.epoch != epoch) {
            throw bad(ProtocolCode.MALFORMED, "packet.epoch", header.epoch, "this channel is in epoch " + epoch);
        }
        if (header.headerLength > maxPayloadHeaderLength) {
            throw bad(ProtocolCode.LENGTH, "packet.payload header length", header.headerLength,
                    "exceeds the cap " + maxPayloadHeaderLength + " (maxPayloadHeaderLength)");
        }
        if (header.rawLength > maxDataLength) {
            throw bad(ProtocolCode.LENGTH, "packet.raw length", header.rawLength,
                    "exceeds the cap " + maxDataLength + " (max packet data length)");
        }
        if (header.encodedLength > maxDataLength) {
            throw bad(ProtocolCode.LENGTH, "packet.encoded length", header.encodedLength,
                    "exceeds the cap " + maxDataLength + " (max packet data length)");
        }
    }

    /** After a SYNC, once the channel may go on: packets now carry the next epoch. */
    public void nextEpoch() {
        epoch++;
    }

    /** True if the current packet is a control packet (payload type 0). */
    public boolean isControl() {
        return header.typeId == 0;
    }

    /**
     * An error about the current packet.
     *
     * @param code   the code
     * @param field  the field
     * @param value  its value
     * @param reason why it is wrong
     * @return the exception, naming the channel and the packet's stream offset
     */
    public MalformedPacketException bad(ProtocolCode code, String field, Object value, String reason) {
        return new MalformedPacketException(code, channel, headerOffset, field, value, reason);
    }

    /** Reads the payload header into the reader's buffer and checks its CRC. */
    public void readPayloadHeader() throws IOException {
        int h = (int) header.headerLength;
        payloadHeader.clear().limit(h);
        if (h > 0) {
            in.readFully(payloadHeader, "payload header");
            int c = crc.of(payloadHeader, 0, h);
            if (c != header.payloadHeaderCrc) {
                throw bad(ProtocolCode.BAD_CRC, "packet.payload header crc", String.format("0x%08x", header.payloadHeaderCrc),
                        String.format("computed 0x%08x", c));
            }
        } else if (header.payloadHeaderCrc != 0) {
            throw bad(ProtocolCode.MALFORMED, "packet.payload header crc", String.format("0x%08x", header.payloadHeaderCrc),
                    "must be 0 without a payload header");
        }
        payloadHeader.position(0);
        payloadHeaderView.clear().limit(h);
    }

    /**
     * Reads the rest of a control packet (the current packet is one) and says which it was. After
     * a SYNC the caller moves this reader to the next epoch ({@link #nextEpoch}). An ABORT ends the channel with the sender's
     * reason; a COMMIT is refused here (it may only follow the end of the stream:
     * {@link #readCommit}).
     *
     * @return what the packet was
     * @throws RemoteFailureException   for an ABORT, with the sender's reason
     * @throws MalformedPacketException for anything that is not a valid control packet here
     * @throws IOException              if the stream ends or fails
     */
    public Control control() throws IOException {
        int f = header.flags;
        requireNoData();
        switch (f) {
            case 0 -> {
                requireHeaderLength(0, "KEEPALIVE");
                readPayloadHeader();
                return Control.KEEPALIVE;
            }
            case Wire.FLAG_SYNC -> {
                requireHeaderLength(0, "SYNC");
                readPayloadHeader();
                return Control.SYNC;
            }
            case Wire.FLAG_EOS -> {
                requireHeaderLength(Wire.EOS_LENGTH, "EOS");
                readPayloadHeader();
                return Control.EOS;
            }
            case Wire.FLAG_ABORT -> throw abort();
            case Wire.FLAG_COMMIT -> throw bad(ProtocolCode.MALFORMED, "packet.flags", "COMMIT",
                    "a COMMIT before end of stream");
            default -> throw bad(ProtocolCode.MALFORMED, "packet.flags", Wire.flagNames(f),
                    "not a valid control packet (KEEPALIVE, SYNC, EOS, COMMIT or ABORT)");
        }
    }

    /** The EOS payload header of the current packet (absolute reads from index 0). */
    public ByteBuffer eosBody() {
        return payloadHeader;
    }

    private RemoteFailureException abort() throws IOException {
        if (header.headerLength > Wire.MAX_ABORT_MESSAGE) {
            throw bad(ProtocolCode.LENGTH, "packet.payload header length", header.headerLength,
                    "an ABORT reason is at most " + Wire.MAX_ABORT_MESSAGE + " bytes");
        }
        readPayloadHeader();
        byte[] msg = new byte[(int) header.headerLength];
        payloadHeader.get(0, msg);
        return new RemoteFailureException(ProtocolCode.ABORTED, "the sender aborted: "
                + PeerText.escape(new String(msg, StandardCharsets.UTF_8)));
    }

    private void requireHeaderLength(int expected, String what) throws MalformedPacketException {
        if (header.headerLength != expected) {
            throw bad(ProtocolCode.MALFORMED, "packet.payload header length", header.headerLength,
                    "a " + what + " packet has " + expected);
        }
    }

    /**
     * After the end of the stream: reads the next packet, which must be COMMIT (an ABORT ends the
     * channel with the sender's reason).
     *
     * @throws RemoteFailureException   for an ABORT
     * @throws MalformedPacketException for anything but a COMMIT
     * @throws IOException              if the stream ends, fails or times out
     */
    public void readCommit() throws IOException {
        readHeader("COMMIT");
        if (header.typeId == 0 && header.flags == Wire.FLAG_ABORT) {
            control();
        }
        if (!EndExchange.isCommit(header.typeId, header.flags, header.headerLength)) {
            throw bad(ProtocolCode.MALFORMED, "packet.flags", header.typeId == 0 ? Wire.flagNames(header.flags)
                    : "data packet of type " + header.typeId, "only COMMIT may follow end of stream");
        }
        requireNoData();
        readPayloadHeader(); // none: its CRC field must be 0 as well
    }

    /** A control packet's data fields (raw length, encoded length, data CRC) are all 0. */
    private void requireNoData() throws MalformedPacketException {
        if (header.rawLength != 0 || header.encodedLength != 0 || header.dataCrc != 0) {
            throw bad(ProtocolCode.MALFORMED, "packet.raw length", header.rawLength + "/" + header.encodedLength,
                    "a control packet carries no data");
        }
    }

    /**
     * Checks how a data packet's flags and lengths agree (before its payload header is read):
     * only RAW, RESET and DATA_CRC; no data means no encoding, RESET or DATA_CRC; RAW data has
     * encoded length = raw length and no RESET; encoded data needs a codec other than
     * {@code none} and must be shorter than the raw data; the data CRC is 0 without DATA_CRC.
     *
     * @param codecIsNone whether the session's codec is {@code none}
     * @throws MalformedPacketException naming the field
     */
    public void checkDataPacket(boolean codecIsNone) throws MalformedPacketException {
        int f = header.flags;
        if ((f & ~Wire.DATA_FLAGS) != 0) {
            throw bad(ProtocolCode.MALFORMED, "packet.flags", Wire.flagNames(f), "a data packet may carry only RAW, RESET and DATA_CRC");
        }
        long raw = header.rawLength;
        long enc = header.encodedLength;
        boolean reset = (f & Wire.FLAG_RESET) != 0;
        boolean hasCrc = (f & Wire.FLAG_DATA_CRC) != 0;
        if (raw == 0) {
            if (enc != 0 || reset || hasCrc) {
                throw bad(ProtocolCode.MALFORMED, "packet.encoded length", enc, "a packet without data has encoded length 0, no RESET, no DATA_CRC");
            }
        } else if ((f & Wire.FLAG_RAW) != 0) {
            if (enc != raw) {
                throw bad(ProtocolCode.MALFORMED, "packet.encoded length", enc, "a RAW packet has encoded length = raw length " + raw);
            }
            if (reset) {
                throw bad(ProtocolCode.MALFORMED, "packet.flags", Wire.flagNames(f), "RESET is not allowed on a RAW packet");
            }
        } else {
            if (codecIsNone) {
                throw bad(ProtocolCode.MALFORMED, "packet.flags", Wire.flagNames(f),
                        "encoded data, but this session's codec is 'none'");
            }
            if (enc <= 0 || enc >= raw) {
                throw bad(ProtocolCode.MALFORMED, "packet.encoded length", enc,
                        "encoded data must be 1 to " + (raw - 1) + " bytes (smaller than the raw length " + raw + ")");
            }
        }
        if (!hasCrc && header.dataCrc != 0) {
            throw bad(ProtocolCode.MALFORMED, "packet.data crc", String.format("0x%08x", header.dataCrc), "must be 0 without DATA_CRC");
        }
    }

    /**
     * Checks the data CRC of the current packet.
     *
     * @param computed the CRC32C computed over the encoded data as read
     * @throws MalformedPacketException naming {@code packet.data crc} if it differs
     */
    public void checkDataCrc(int computed) throws MalformedPacketException {
        if (computed != header.dataCrc) {
            throw bad(ProtocolCode.BAD_CRC, "packet.data crc", String.format("0x%08x", header.dataCrc),
                    String.format("computed 0x%08x over the data", computed));
        }
    }
}
