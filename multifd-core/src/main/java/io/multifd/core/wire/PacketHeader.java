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

import java.nio.ByteBuffer;

/**
 * The 48-byte common packet header, mutable and reused: one instance per channel, confined to
 * that channel's thread. See {@code docs/protocol.md} §5.
 */
public final class PacketHeader {

    /** Payload type id; 0 for control packets. */
    public int typeId;
    /** Flags, {@code Wire.FLAG_*}. */
    public int flags;
    /** Per-channel sequence number. */
    public long sequence;
    /** Sync epoch. */
    public long epoch;
    /** Payload header length. */
    public long headerLength;
    /** Data bytes after decoding (unsigned on the wire; held as long to check the cap). */
    public long rawLength;
    /** Data bytes on the wire. */
    public long encodedLength;
    /** CRC32C of the encoded data, when {@code FLAG_DATA_CRC}. */
    public int dataCrc;
    /** CRC32C of the payload header. */
    public int payloadHeaderCrc;

    private final Crc crc = new Crc();

    /**
     * Writes the header at {@code dst[0, 48)} with its CRC and sets position 0, limit 48.
     *
     * @param dst a buffer of at least 48 bytes, owned by the caller
     */
    public void encode(ByteBuffer dst) {
        dst.clear();
        dst.putInt(0, Wire.PACKET_MAGIC)
                .putShort(4, (short) typeId)
                .putShort(6, (short) flags)
                .putLong(8, sequence)
                .putLong(16, epoch)
                .putInt(24, (int) headerLength)
                .putInt(28, (int) rawLength)
                .putInt(32, (int) encodedLength)
                .putInt(36, dataCrc)
                .putInt(40, payloadHeaderCrc);
        dst.putInt(44, crc.of(dst, 0, 44));
        dst.position(0).limit(Wire.PACKET_HEADER_LENGTH);
    }

    /**
     * Parses {@code src[0, 48)} and checks what needs no channel state: the magic, the header CRC
     * and the undefined flag bits. Position and limit of {@code src} are unchanged.
     *
     * @param src     the 48 header bytes, owned by the caller
     * @param channel the channel, for messages
     * @param offset  the header's stream offset, for messages
     * @throws MalformedPacketException naming the field
     */
    public void decode(ByteBuffer src, int channel, long offset) throws MalformedPacketException {
        int magic = src.getInt(0);
        if (magic != Wire.PACKET_MAGIC) {
            throw new MalformedPacketException(ProtocolCode.BAD_MAGIC, channel, offset, "packet.magic",
                    String.format("0x%08x", magic), String.format("expected 0x%08x (\"MFDP\")", Wire.PACKET_MAGIC));
        }
        int got = src.getInt(44);
        int expect = crc.of(src, 0, 44);
        if (got != expect) {
            throw new MalformedPacketException(ProtocolCode.BAD_CRC, channel, offset, "packet.header crc",
                    String.format("0x%08x", got), String.format("computed 0x%08x", expect));
        }
        typeId = Short.toUnsignedInt(src.getShort(4));
        flags = Short.toUnsignedInt(src.getShort(6));
        sequence = src.getLong(8);
        epoch = src.getLong(16);
        headerLength = Integer.toUnsignedLong(src.getInt(24));
        rawLength = Integer.toUnsignedLong(src.getInt(28));
        encodedLength = Integer.toUnsignedLong(src.getInt(32));
        dataCrc = src.getInt(36);
        payloadHeaderCrc = src.getInt(40);
        if ((flags & ~Wire.KNOWN_FLAGS) != 0) {
            throw new MalformedPacketException(ProtocolCode.MALFORMED, channel, offset, "packet.flags",
                    String.format("0x%04x", flags), "undefined flag bits " + String.format("0x%04x", flags & ~Wire.KNOWN_FLAGS));
        }
    }

    /** Clears every field. */
    public void reset() {
        typeId = 0;
        flags = 0;
        sequence = 0;
        epoch = 0;
        headerLength = 0;
        rawLength = 0;
        encodedLength = 0;
        dataCrc = 0;
        payloadHeaderCrc = 0;
    }

    @Override
    public String toString() {
        return "packet[type=" + typeId + ", flags=" + Wire.flagNames(flags) + ", seq=" + sequence + ", epoch=" + epoch
                + ", header=" + headerLength + ", raw=" + rawLength + ", encoded=" + encodedLength + "]";
    }
}
