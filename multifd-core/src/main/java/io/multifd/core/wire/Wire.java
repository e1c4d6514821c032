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

/**
 * Constants of the wire protocol, version 1 (see {@code docs/protocol.md}). Every integer on the
 * wire is big-endian.
 */
public final class Wire {

    private Wire() {
    }

    /** The only protocol version so far. */
    public static final int VERSION = 1;
    /** Lowest version this implementation speaks. */
    public static final int MIN_VERSION = 1;
    /** Highest version this implementation speaks. */
    public static final int MAX_VERSION = 1;

    /** "MFDH": a channel's hello. */
    public static final int HELLO_MAGIC = 0x4D464448;
    /** "MFDR": a receiver's reply. */
    public static final int REPLY_MAGIC = 0x4D464452;
    /** "MFDM": the session manifest. */
    public static final int MANIFEST_MAGIC = 0x4D46444D;
    /** "MFDP": a packet. */
    public static final int PACKET_MAGIC = 0x4D464450;

    /** Fixed part of the hello, before the codec parameters. */
    public static final int HELLO_FIXED_LENGTH = 40;
    /** Longest codec parameter text. */
    public static final int MAX_CODEC_PARAMETERS = 255;
    /** Fixed part of a reply, before the message. */
    public static final int REPLY_FIXED_LENGTH = 28;
    /** Longest reply message, in bytes. */
    public static final int MAX_REPLY_MESSAGE = 2048;
    /** Fixed part of the manifest, before the records. */
    public static final int MANIFEST_FIXED_LENGTH = 12;
    /** Header of one manifest record. */
    public static final int MANIFEST_RECORD_HEADER = 8;
    /** Most records in a manifest. */
    public static final int MAX_MANIFEST_RECORDS = 256;
    /** The common packet header. */
    public static final int PACKET_HEADER_LENGTH = 48;
    /** Length of the EOS payload header: packets and bytes. */
    public static final int EOS_LENGTH = 16;
    /** Longest ABORT reason, in bytes. */
    public static final int MAX_ABORT_MESSAGE = 2048;
    /** Length of a CRC32C field. */
    public static final int CRC_LENGTH = 4;

    /** Packet flag: sync marker ending the epoch in the header. */
    public static final int FLAG_SYNC = 0x01;
    /** Packet flag: end of stream on this channel. */
    public static final int FLAG_EOS = 0x02;
    /** Packet flag: the data travels as it was, not encoded. */
    public static final int FLAG_RAW = 0x04;
    /** Packet flag: the decoder restarts its stream state before this packet. */
    public static final int FLAG_RESET = 0x08;
    /** Packet flag: the data CRC field covers the encoded data. */
    public static final int FLAG_DATA_CRC = 0x10;
    /** Packet flag: the sender read COMPLETED on every channel. */
    public static final int FLAG_COMMIT = 0x20;
    /** Packet flag: the sender gave up; the payload header is the reason. */
    public static final int FLAG_ABORT = 0x40;
    /** Every flag defined in version 1. */
    public static final int KNOWN_FLAGS = 0x7F;
    /** Flags a data packet may carry. */
    public static final int DATA_FLAGS = FLAG_RAW | FLAG_RESET | FLAG_DATA_CRC;

    /** Reply kinds. */
    public static final int REPLY_HELLO_ACCEPT = 1;
    /** Reply kind: the hello was refused. */
    public static final int REPLY_HELLO_REFUSE = 2;
    /** Reply kind: the manifest was accepted. */
    public static final int REPLY_MANIFEST_ACCEPT = 3;
    /** Reply kind: the manifest was refused. */
    public static final int REPLY_MANIFEST_REFUSE = 4;
    /** Reply kind: everything was applied. */
    public static final int REPLY_COMPLETED = 5;
    /** Reply kind: the receiver failed. */
    public static final int REPLY_ERROR = 6;
    /**
     * Reply kind: a payload's return-path message (value A: its payload type id; the message
     * bytes are the payload's, not text). Only in a session whose hellos asked for
     * {@link #FEATURE_RETURN_PATH}.
     */
    public static final int REPLY_RETURN = 7;

    /** Hello feature bit: the sender reads return-path messages ({@link #REPLY_RETURN}) while streaming. */
    public static final int FEATURE_RETURN_PATH = 0x1;
    /** Every hello feature bit this implementation knows. */
    public static final int KNOWN_FEATURES = FEATURE_RETURN_PATH;

    /** Name of a reply kind, for messages. */
    public static String replyKindName(int kind) {
        return switch (kind) {
            case REPLY_HELLO_ACCEPT -> "HELLO_ACCEPT";
            case REPLY_HELLO_REFUSE -> "HELLO_REFUSE";
            case REPLY_MANIFEST_ACCEPT -> "MANIFEST_ACCEPT";
            case REPLY_MANIFEST_REFUSE -> "MANIFEST_REFUSE";
            case REPLY_COMPLETED -> "COMPLETED";
            case REPLY_ERROR -> "ERROR";
            case REPLY_RETURN -> "RETURN";
            default -> "kind " + kind;
        };
    }

    /** Text form of packet flags, for messages. */
    public static String flagNames(int flags) {
        if (flags == 0) {
            return "none";
        }
        StringBuilder sb = new StringBuilder();
        String[] names = {"SYNC", "EOS", "RAW", "RESET", "DATA_CRC", "COMMIT", "ABORT"};
        for (int i = 0; i < names.length; i++) {
            if ((flags & (1 << i)) != 0) {
                sb.append(sb.length() == 0 ? "" : "|").append(names[i]);
            }
        }
        int unknown = flags & ~KNOWN_FLAGS;
        if (unknown != 0) {
            sb.append(sb.length() == 0 ? "" : "|").append(String.format("0x%x", unknown));
        }
        return sb.toString();
    }
}
