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
package io.multifd.devicestate.internal;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The device-state wire format: payload header and setup record layouts, and the rules both ends
 * apply to device ids. Stateless; every method may be called from any thread.
 *
 * <h2>Payload header (big-endian), {@value #FIXED_HEADER_LENGTH} + L bytes</h2>
 * <pre>
 * offset size field
 *  0     1    flags: 0x01 LAST (the device's last buffer); other bits reserved, must be 0
 *  1     1    id length L: 1 to 255
 *  2     2    reserved: 0
 *  4     4    instance id (u32)
 *  8     4    buffer index (u32): 0, 1, 2, ... per device (id, instance)
 * 12     L    device id: UTF-8, no NUL
 * </pre>
 * The packet's data (its raw length in the common header) is the buffer's bytes. Only the last
 * buffer may be empty.
 *
 * <h2>Setup record (big-endian), {@value #SETUP_RECORD_LENGTH} bytes</h2>
 * <pre>
 * offset size field
 *  0     2    format version: 1
 *  2     2    flags: reserved, 0
 *  4     4    max buffer length: the largest data length of one buffer the saver sends (>= 1)
 * </pre>
 */
public final class DeviceStateWire {

    /** The payload's wire id. */
    public static final int PAYLOAD_ID = 2;
    /** The payload's name. */
    public static final String PAYLOAD_NAME = "device-state";

    /** Length of the payload header before the id. */
    public static final int FIXED_HEADER_LENGTH = 12;
    /** Largest device id, in UTF-8 bytes (as QEMU's 256-byte NUL-terminated idstr). */
    public static final int MAX_ID_LENGTH = 255;
    /** The LAST flag: this is the device's last buffer. */
    public static final int FLAG_LAST = 0x01;

    /** Length of the setup record. */
    public static final int SETUP_RECORD_LENGTH = 8;
    /** Format version carried by the setup record. */
    public static final int FORMAT_VERSION = 1;

    private DeviceStateWire() {
    }

    /**
     * Encodes and checks a device id as the saver sends it.
     *
     * @param id the device id
     * @return its UTF-8 bytes (a new array, owned by the caller)
     * @throws IllegalArgumentException if it is empty, longer than {@value #MAX_ID_LENGTH} bytes
     *                                  or {@code maxIdLength}, contains NUL or an unpaired surrogate
     */
    public static byte[] encodeId(String id, int maxIdLength) {
        if (id == null) {
            throw new NullPointerException("device id");
        }
        if (id.isEmpty()) {
            throw new IllegalArgumentException("device id must not be empty");
        }
        if (id.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("device id must not contain NUL: '" + printable(id) + "'");
        }
        byte[] bytes;
        try {
            ByteBuffer encoded = StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(CharBuffer.wrap(id));
            bytes = new byte[encoded.remaining()];
            encoded.get(bytes);
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("device id is not valid Unicode: '" + printable(id) + "'", e);
        }
        int max = Math.min(MAX_ID_LENGTH, maxIdLength);
        if (bytes.length > max) {
            throw new IllegalArgumentException("device id is " + bytes.length + " bytes in UTF-8, more than "
                    + max + ": '" + printable(id) + "'");
        }
        return bytes;
    }

    /**
     * Decodes a received device id strictly.
     *
     * @param decoder a UTF-8 decoder that reports errors (confined to the caller's thread)
     * @param header  the header; reads {@code length} bytes from {@code offset}, position unchanged
     * @return the id, or {@code null} if the bytes are not valid UTF-8 or contain NUL
     */
    public static String decodeId(CharsetDecoder decoder, ByteBuffer header, int offset, int length) {
        ByteBuffer slice = header.duplicate();
        slice.limit(offset + length).position(offset);
        for (int i = offset; i < offset + length; i++) {
            if (header.get(i) == 0) {
                return null;
            }
        }
        try {
            decoder.reset();
            return decoder.decode(slice).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** Returns a UTF-8 decoder that reports malformed input. */
    public static CharsetDecoder strictDecoder() {
        return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
    }

    /**
     * Writes the payload header.
     *
     * @param out      where to put it (from its position)
     * @param id       the id's UTF-8 bytes, 1 to 255
     * @param instance the instance id
     * @param index    the buffer index, 0 or more
     * @param last     whether this is the device's last buffer
     */
    public static void putHeader(ByteBuffer out, byte[] id, int instance, int index, boolean last) {
        out.put((byte) (last ? FLAG_LAST : 0));
        out.put((byte) id.length);
        out.putShort((short) 0);
        out.putInt(instance);
        out.putInt(index);
        out.put(id);
    }

    /**
     * Makes the setup record.
     *
     * @param maxBufferLength the largest buffer the saver sends
     * @return a new buffer, position 0, limit {@value #SETUP_RECORD_LENGTH}
     */
    public static ByteBuffer setupRecord(int maxBufferLength) {
        ByteBuffer b = ByteBuffer.allocate(SETUP_RECORD_LENGTH);
        b.putShort((short) FORMAT_VERSION).putShort((short) 0).putInt(maxBufferLength).flip();
        return b;
    }

    /** Formats an instance id as the unsigned 32-bit number it is on the wire. */
    public static String instanceString(int instance) {
        return Integer.toUnsignedString(instance);
    }

    /** Names a device for messages: {@code 'id' instance n}. */
    public static String deviceName(String id, int instance) {
        return "'" + printable(id) + "' instance " + instanceString(instance);
    }

    /** Replaces control characters so that a hostile id cannot forge log lines. */
    public static String printable(String s) {
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7F) {
                if (sb == null) {
                    sb = new StringBuilder(s.length() + 8).append(s, 0, i);
                }
                sb.append(String.format("\\x%02x", (int) c));
            } else if (sb != null) {
                sb.append(c);
            }
        }
        return sb == null ? s : sb.toString();
    }
}
