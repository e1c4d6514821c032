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

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A receiver's reply: accept or refuse a hello or the manifest, COMPLETED, ERROR, or a payload's
 * return-path message (RETURN). Immutable (the {@code data} array is never changed once made).
 *
 * @param kind    one of {@code Wire.REPLY_*}
 * @param code    the code (OK for accepts and COMPLETED)
 * @param version the chosen version in HELLO_ACCEPT, otherwise 0
 * @param valueA  COMPLETED: data packets received on the channel; RETURN: the payload type id
 * @param valueB  COMPLETED: raw data bytes received on the channel
 * @param message explanation (refusals and errors), possibly empty
 * @param data    RETURN: the payload's message bytes; otherwise empty
 */
public record Reply(int kind, ProtocolCode code, int version, long valueA, long valueB, String message, byte[] data) {

    private static final byte[] NO_DATA = new byte[0];

    /** A reply without data bytes (every kind but RETURN). */
    public Reply(int kind, ProtocolCode code, int version, long valueA, long valueB, String message) {
        this(kind, code, version, valueA, valueB, message, NO_DATA);
    }

    /**
     * A payload's return-path message.
     *
     * @param payloadType the payload type id
     * @param message     the bytes between position and limit, at most {@link Wire#MAX_REPLY_MESSAGE}
     *                    (copied; the position is not moved)
     * @return the reply
     * @throws IllegalArgumentException if the message is too long
     */
    public static Reply returned(int payloadType, ByteBuffer message) {
        if (message.remaining() > Wire.MAX_REPLY_MESSAGE) {
            throw new IllegalArgumentException("a return-path message has at most " + Wire.MAX_REPLY_MESSAGE
                    + " bytes, not " + message.remaining());
        }
        byte[] b = new byte[message.remaining()];
        message.get(message.position(), b);
        return new Reply(Wire.REPLY_RETURN, ProtocolCode.OK, 0, payloadType, 0, "", b);
    }

    /** HELLO_ACCEPT with the chosen version. */
    public static Reply helloAccept(int version) {
        return new Reply(Wire.REPLY_HELLO_ACCEPT, ProtocolCode.OK, version, 0, 0, "");
    }

    /** A refusal or error with a code and an explanation. */
    public static Reply failure(int kind, ProtocolCode code, String message) {
        return new Reply(kind, code, 0, 0, 0, message == null ? "" : message);
    }

    /** MANIFEST_ACCEPT. */
    public static Reply manifestAccept() {
        return new Reply(Wire.REPLY_MANIFEST_ACCEPT, ProtocolCode.OK, 0, 0, 0, "");
    }

    /** COMPLETED with the channel's counts. */
    public static Reply completed(long packets, long bytes) {
        return new Reply(Wire.REPLY_COMPLETED, ProtocolCode.OK, 0, packets, bytes, "");
    }

    /**
     * Encodes the reply, CRC included; a message longer than the cap is cut (at a character
     * boundary) with an ellipsis.
     *
     * @return the bytes
     */
    public ByteBuffer encode() {
        byte[] msg = kind == Wire.REPLY_RETURN ? data : truncate(message, Wire.MAX_REPLY_MESSAGE);
        ByteBuffer b = ByteBuffer.allocate(Wire.REPLY_FIXED_LENGTH + msg.length + Wire.CRC_LENGTH);
        b.putInt(Wire.REPLY_MAGIC)
                .put((byte) kind)
                .put((byte) 0)
                .putShort((short) code.wire())
                .putShort((short) version)
                .putShort((short) msg.length)
                .putLong(valueA)
                .putLong(valueB)
                .put(msg);
        b.putInt(Crc.ofArray(b.array(), 0, b.position()));
        return b.flip();
    }

    /**
     * Reads and checks a reply.
     *
     * @param in the channel's inbound stream (replies travel from receiver to sender)
     * @return the reply
     * @throws MalformedPacketException naming the field
     * @throws IOException              if the stream ends or fails
     */
    public static Reply read(ByteSource in) throws IOException {
        long offset = in.offset();
        int ch = in.channel();
        ByteBuffer fixed = ByteBuffer.allocate(Wire.REPLY_FIXED_LENGTH);
        in.readFully(fixed, "reply");
        int magic = fixed.getInt(0);
        if (magic != Wire.REPLY_MAGIC) {
            throw new MalformedPacketException(ProtocolCode.BAD_MAGIC, ch, offset, "reply.magic",
                    String.format("0x%08x", magic), String.format("expected 0x%08x (\"MFDR\"): not a multifd-java receiver", Wire.REPLY_MAGIC));
        }
        int msgLength = Short.toUnsignedInt(fixed.getShort(10));
        if (msgLength > Wire.MAX_REPLY_MESSAGE) {
            throw new MalformedPacketException(ProtocolCode.LENGTH, ch, offset, "reply.message length",
                    msgLength, "exceeds the cap " + Wire.MAX_REPLY_MESSAGE);
        }
        ByteBuffer rest = ByteBuffer.allocate(msgLength + Wire.CRC_LENGTH);
        in.readFully(rest, "reply message");
        byte[] all = new byte[Wire.REPLY_FIXED_LENGTH + msgLength];
        fixed.get(0, all, 0, Wire.REPLY_FIXED_LENGTH);
        rest.get(0, all, Wire.REPLY_FIXED_LENGTH, msgLength);
        int crc = rest.getInt(msgLength);
        int expect = Crc.ofArray(all, 0, all.length);
        if (crc != expect) {
            throw new MalformedPacketException(ProtocolCode.BAD_CRC, ch, offset, "reply.crc",
                    String.format("0x%08x", crc), String.format("computed 0x%08x", expect));
        }
        int kind = Byte.toUnsignedInt(fixed.get(4));
        if (kind < Wire.REPLY_HELLO_ACCEPT || kind > Wire.REPLY_RETURN) {
            throw new MalformedPacketException(ProtocolCode.MALFORMED, ch, offset, "reply.kind", kind, "unknown reply kind");
        }
        if (fixed.get(5) != 0) {
            throw new MalformedPacketException(ProtocolCode.MALFORMED, ch, offset, "reply.reserved", fixed.get(5), "must be 0");
        }
        ProtocolCode code = ProtocolCode.ofWire(Short.toUnsignedInt(fixed.getShort(6)));
        int version = Short.toUnsignedInt(fixed.getShort(8));
        if (kind == Wire.REPLY_RETURN) { // the payload's bytes: never shown as text
            byte[] data = new byte[msgLength];
            System.arraycopy(all, Wire.REPLY_FIXED_LENGTH, data, 0, msgLength);
            return new Reply(kind, code, version, fixed.getLong(12), fixed.getLong(20), "", data);
        }
        // the peer's text: escaped once here, so no caller logs or shows it raw
        String msg = PeerText.escape(new String(all, Wire.REPLY_FIXED_LENGTH, msgLength, StandardCharsets.UTF_8),
                Wire.MAX_REPLY_MESSAGE);
        return new Reply(kind, code, version, fixed.getLong(12), fixed.getLong(20), msg);
    }

    /** UTF-8 bytes of {@code s}, at most {@code max} bytes, cut at a character boundary. */
    public static byte[] truncate(String s, int max) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length <= max) {
            return b;
        }
        String cut = s;
        while (cut.getBytes(StandardCharsets.UTF_8).length > max - 3) {
            cut = cut.substring(0, Math.max(0, cut.length() - Math.max(1, (cut.length() / 8))));
        }
        return (cut + "...").getBytes(StandardCharsets.UTF_8);
    }
}
