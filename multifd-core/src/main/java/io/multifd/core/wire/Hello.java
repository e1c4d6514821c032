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

import io.multifd.api.spi.PeerText;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A channel's hello: the first message a sender writes on every channel. Immutable.
 *
 * @param minVersion          lowest protocol version the sender speaks
 * @param maxVersion          highest protocol version the sender speaks
 * @param sessionId           the session
 * @param channelId           this channel
 * @param channelCount        channels in the session
 * @param codecId              the codec's wire id
 * @param codecParameters      the codec's options in text form
 * @param features            feature bits: {@link Wire#FEATURE_RETURN_PATH} or 0
 * @param maxPacketDataLength the largest packet data length the sender will use
 */
public record Hello(int minVersion, int maxVersion, SessionId sessionId, int channelId, int channelCount,
                    int codecId, String codecParameters, int features, int maxPacketDataLength) {

    /**
     * Encodes the hello, CRC included.
     *
     * @return the bytes, ready to write
     */
    public ByteBuffer encode() {
        byte[] params = codecParameters.getBytes(StandardCharsets.UTF_8);
        if (params.length > Wire.MAX_CODEC_PARAMETERS) {
            throw new IllegalArgumentException("codec parameters longer than " + Wire.MAX_CODEC_PARAMETERS + " bytes");
        }
        ByteBuffer b = ByteBuffer.allocate(Wire.HELLO_FIXED_LENGTH + params.length + Wire.CRC_LENGTH);
        b.putInt(Wire.HELLO_MAGIC)
                .putShort((short) minVersion)
                .putShort((short) maxVersion)
                .putLong(sessionId.high())
                .putLong(sessionId.low())
                .putShort((short) channelId)
                .putShort((short) channelCount)
                .putShort((short) codecId)
                .putShort((short) params.length)
                .putInt(features)
                .putInt(maxPacketDataLength)
                .put(params);
        b.putInt(Crc.ofArray(b.array(), 0, b.position()));
        return b.flip();
    }

    /**
     * Reads and checks a hello's framing: magic, parameter length, CRC, and the fields that need
     * no context (version range order, channel count range, id below count, features). What the
     * receiver compares against its own state (session, duplicates, limits) is checked by the
     * caller.
     *
     * @param in the channel's inbound stream
     * @return the hello
     * @throws MalformedPacketException naming the field, with the code to refuse with
     * @throws IOException              if the stream ends or fails
     */
    public static Hello read(ByteSource in) throws IOException {
        long offset = in.offset();
        int ch = in.channel();
        ByteBuffer fixed = ByteBuffer.allocate(Wire.HELLO_FIXED_LENGTH);
        in.readFully(fixed, "hello");
        fixed.flip();
        int magic = fixed.getInt(0);
        if (magic != Wire.HELLO_MAGIC) {
            throw new MalformedPacketException(ProtocolCode.BAD_MAGIC, ch, offset, "hello.magic",
                    String.format("0x%08x", magic), String.format("expected 0x%08x (\"MFDH\"): not a multifd-java sender", Wire.HELLO_MAGIC));
        }
        int paramLength = Short.toUnsignedInt(fixed.getShort(30));
        if (paramLength > Wire.MAX_CODEC_PARAMETERS) {
            throw new MalformedPacketException(ProtocolCode.LENGTH, ch, offset, "hello.codec parameter length",
                    paramLength, "exceeds the cap " + Wire.MAX_CODEC_PARAMETERS);
        }
        ByteBuffer rest = ByteBuffer.allocate(paramLength + Wire.CRC_LENGTH);
        in.readFully(rest, "hello codec parameters");
        byte[] all = new byte[Wire.HELLO_FIXED_LENGTH + paramLength];
        fixed.get(0, all, 0, Wire.HELLO_FIXED_LENGTH);
        rest.get(0, all, Wire.HELLO_FIXED_LENGTH, paramLength);
        int crc = rest.getInt(paramLength);
        int expect = Crc.ofArray(all, 0, all.length);
        if (crc != expect) {
            throw new MalformedPacketException(ProtocolCode.BAD_CRC, ch, offset, "hello.crc",
                    String.format("0x%08x", crc), String.format("computed 0x%08x", expect));
        }
        int minVersion = Short.toUnsignedInt(fixed.getShort(4));
        int maxVersion = Short.toUnsignedInt(fixed.getShort(6));
        SessionId session = new SessionId(fixed.getLong(8), fixed.getLong(16));
        int channelId = Short.toUnsignedInt(fixed.getShort(24));
        int channelCount = Short.toUnsignedInt(fixed.getShort(26));
        int codecId = Short.toUnsignedInt(fixed.getShort(28));
        int features = fixed.getInt(32);
        int maxData = fixed.getInt(36);
        if (minVersion > maxVersion || minVersion == 0) {
            throw new MalformedPacketException(ProtocolCode.UNSUPPORTED_VERSION, ch, offset, "hello.version",
                    minVersion + ".." + maxVersion, "not a valid version range");
        }
        if (channelCount < 1 || channelCount > 255) {
            throw new MalformedPacketException(ProtocolCode.CHANNEL_COUNT, ch, offset, "hello.channel count",
                    channelCount, "must be 1 to 255");
        }
        if (channelId >= channelCount) {
            throw new MalformedPacketException(ProtocolCode.CHANNEL_ID_OUT_OF_RANGE, ch, offset, "hello.channel id",
                    channelId, "must be below the channel count " + channelCount);
        }
        if ((features & ~Wire.KNOWN_FEATURES) != 0) {
            throw new MalformedPacketException(ProtocolCode.FEATURES, ch, offset, "hello.features",
                    String.format("0x%08x", features), String.format("unknown feature bits 0x%x (this receiver knows 0x%x)",
                            features & ~Wire.KNOWN_FEATURES, Wire.KNOWN_FEATURES));
        }
        String params;
        try { // strict: a lenient decoder would turn bad bytes into U+FFFD and change what was sent
            params = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(all, Wire.HELLO_FIXED_LENGTH, paramLength)).toString();
        } catch (CharacterCodingException e) {
            throw new MalformedPacketException(ProtocolCode.CODEC_PARAMETERS, ch, offset, "hello.codec parameters",
                    PeerText.escape(new String(all, Wire.HELLO_FIXED_LENGTH, paramLength, StandardCharsets.UTF_8)),
                    "not valid UTF-8");
        }
        return new Hello(minVersion, maxVersion, session, channelId, channelCount, codecId, params, features, maxData);
    }
}
