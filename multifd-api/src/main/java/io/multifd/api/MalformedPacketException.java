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
 * The peer sent bytes that do not follow the protocol: a bad magic, a bad CRC, a length over its
 * cap, an offset outside a block, a count that disagrees with another, an unknown name.
 *
 * <p>It carries where the bad bytes were ({@link #channel()} and {@link #streamOffset()}, the
 * offset of the message in that channel's inbound stream), which {@link #field()} was wrong and
 * the {@link #value()} it had. Its message reads, for example:
 * <pre>channel 2, stream offset 1052736: field 'ram.offset' = 9223372036854775807: beyond block 'pc.ram' (length 1073741824)</pre>
 *
 * <p>Thrown by the core while parsing headers, and by payload plug-ins and codecs while parsing
 * their own headers and data (they build it with
 * {@link io.multifd.api.spi.IncomingPacket#malformed(String, Object, String)}). Any such exception
 * fails the whole migration.
 */
public class MalformedPacketException extends MultiFdException {

    private static final long serialVersionUID = 1L;

    /** {@link #channel()} when the channel is not known yet. */
    public static final int NO_CHANNEL = -1;

    private final int channel;
    private final long streamOffset;
    private final String field;
    private final String value;

    /**
     * @param code         the kind of failure (usually {@link ProtocolCode#MALFORMED}, or a more
     *                     precise code such as {@link ProtocolCode#BAD_CRC})
     * @param channel      the channel id, or {@link #NO_CHANNEL}
     * @param streamOffset offset of the offending message in the channel's inbound stream, or -1
     * @param field        the protocol field that was wrong, for instance {@code "header crc"}
     * @param value        the value it had (printed with {@link String#valueOf(Object)})
     * @param reason       why it is wrong, for instance {@code "exceeds the cap 4194304"}
     */
    public MalformedPacketException(ProtocolCode code, int channel, long streamOffset, String field,
                                    Object value, String reason) {
        this(code, channel, streamOffset, field, value, reason, null);
    }

    /**
     * @param code         the kind of failure
     * @param channel      the channel id, or {@link #NO_CHANNEL}
     * @param streamOffset offset of the offending message in the channel's inbound stream, or -1
     * @param field        the protocol field that was wrong
     * @param value        the value it had
     * @param reason       why it is wrong
     * @param cause        the underlying exception (for instance a codec's), or {@code null}
     */
    public MalformedPacketException(ProtocolCode code, int channel, long streamOffset, String field,
                                    Object value, String reason, Throwable cause) {
        super(code, format(channel, streamOffset, field, value, reason), cause);
        this.channel = channel;
        this.streamOffset = streamOffset;
        this.field = field;
        this.value = String.valueOf(value);
    }

    private static String format(int channel, long offset, String field, Object value, String reason) {
        StringBuilder sb = new StringBuilder();
        if (channel >= 0) {
            sb.append("channel ").append(channel).append(", ");
        }
        if (offset >= 0) {
            sb.append("stream offset ").append(offset).append(", ");
        }
        sb.append("field '").append(field).append('\'');
        if (value != null) {
            String v = String.valueOf(value);
            if (v.length() > 80) {
                v = v.substring(0, 77) + "...";
            }
            sb.append(" = ").append(v);
        }
        if (reason != null && !reason.isEmpty()) {
            sb.append(": ").append(reason);
        }
        return sb.toString();
    }

    /** The channel the bytes arrived on, or {@link #NO_CHANNEL}. */
    public int channel() {
        return channel;
    }

    /** Offset of the offending message in the channel's inbound byte stream, or -1. */
    public long streamOffset() {
        return streamOffset;
    }

    /** The protocol field that was wrong. */
    public String field() {
        return field;
    }

    /** The value the field had, as text. */
    public String value() {
        return value;
    }
}
