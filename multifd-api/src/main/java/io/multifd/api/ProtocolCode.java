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
package io.multifd.api;

/**
 * The codes a receiver sends back to refuse a hello or a manifest, or to report a failure.
 *
 * <p>Each code names the protocol field it is about, so that a refusal reads as
 * "refused: field 'session id' ...". The numeric {@link #wire()} value travels in reply messages
 * (see {@code docs/protocol.md}); values not known to this version decode as {@link #UNKNOWN}.
 */
public enum ProtocolCode {
    /** Accepted; no error. */
    OK(0, "-"),
    /** The first four bytes were not the expected magic number. */
    BAD_MAGIC(1, "magic"),
    /** No protocol version in common. */
    UNSUPPORTED_VERSION(2, "version"),
    /** The session id differs from the one the first accepted channel fixed. */
    SESSION_MISMATCH(3, "session id"),
    /** The channel id is not below the channel count. */
    CHANNEL_ID_OUT_OF_RANGE(4, "channel id"),
    /** A channel with this id was already accepted. */
    DUPLICATE_CHANNEL(5, "channel id"),
    /** The channel count is 0, above the receiver's limit, or differs between channels. */
    CHANNEL_COUNT(6, "channel count"),
    /** The receiver has no codec with this id, or does not allow it. */
    UNKNOWN_CODEC(7, "codec id"),
    /** The codec parameters are malformed, refused by the codec, or differ between channels. */
    CODEC_PARAMETERS(8, "codec parameters"),
    /** A CRC32C check failed. */
    BAD_CRC(9, "crc"),
    /** Unknown feature bits were set. */
    FEATURES(10, "features"),
    /** The announced maximum packet data length exceeds the receiver's cap. */
    PACKET_LENGTH(11, "max packet length"),
    /** A receiving payload plug-in refused its setup record. */
    SETUP_REFUSED(12, "setup record"),
    /** The manifest names a payload type the receiver has no plug-in for. */
    UNKNOWN_PAYLOAD(13, "payload type"),
    /** A message or packet was malformed; the message names the field. */
    MALFORMED(14, "packet"),
    /** A length field exceeded its cap. */
    LENGTH(15, "length"),
    /** A peer did not answer within the configured timeout. */
    TIMEOUT(20, "timeout"),
    /** The migration was aborted by the user or by the peer. */
    ABORTED(21, "abort"),
    /** A plug-in (for instance a device-state loader) failed while applying data. */
    PLUGIN_FAILED(22, "payload"),
    /** A transport error (connection reset, unexpected end of stream). */
    TRANSPORT(23, "transport"),
    /** Any other failure. */
    FAILED(24, "migration"),
    /** A code this version does not know. */
    UNKNOWN(0xFFFF, "unknown");

    private final int wire;
    private final String field;

    ProtocolCode(int wire, String field) {
        this.wire = wire;
        this.field = field;
    }

    /** The 16-bit value on the wire. */
    public int wire() {
        return wire;
    }

    /** The protocol field this code is about, as it appears in messages. */
    public String field() {
        return field;
    }

    /**
     * The code a failure stands for: a {@link MultiFdException}'s own code; {@link #TRANSPORT} for
     * a lost connection (an {@link java.io.EOFException}: the peer closed it; a
     * {@link java.net.SocketException}: reset); {@link #FAILED} for anything else.
     *
     * @param failure the failure; null gives {@link #FAILED}
     * @return its code
     */
    public static ProtocolCode of(Throwable failure) {
        if (failure instanceof MultiFdException m) {
            return m.code();
        }
        return failure instanceof java.io.EOFException || failure instanceof java.net.SocketException
                ? TRANSPORT : FAILED;
    }

    /**
     * Decodes a wire value.
     *
     * @param wire the 16-bit value
     * @return the code, or {@link #UNKNOWN}
     */
    public static ProtocolCode ofWire(int wire) {
        for (ProtocolCode c : values()) {
            if (c.wire == wire) {
                return c;
            }
        }
        return UNKNOWN;
    }
}
