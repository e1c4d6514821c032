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
package io.multifd.api.spi;

import java.nio.ByteBuffer;

/**
 * The packet a {@link PayloadEncoder} describes. Owned by the core, one per channel, reused for
 * every packet; valid only during {@link PayloadEncoder#prepare(Object, OutgoingPacket)}.
 */
public interface OutgoingPacket {

    /** The channel this packet goes out on. */
    int channelId();

    /**
     * The buffer for the payload header: cleared before {@code prepare}, position 0, capacity the
     * configured maximum payload header length. The encoder {@code put}s its header bytes; the
     * bytes from 0 to the position are sent. Owned by the core.
     *
     * @return the header buffer
     */
    ByteBuffer header();

    /**
     * Adds data to the packet: the bytes between {@code data}'s position and limit are sent after
     * the header, in the order added, without being copied (a gathering write, or the codec
     * reads them).
     *
     * <p>The buffer stays owned by the encoder; the core keeps a reference until the packet is
     * written, reads only the stated range, and does not change its position or limit. It must
     * not be changed by the encoder until the next {@code prepare} call on this channel. The
     * memory behind it may be live (a page a writer still changes); that is allowed, the
     * receiver gets some version of those bytes.
     *
     * @param data a buffer whose remaining bytes are data
     * @throws IllegalArgumentException if the total would exceed {@link #maxDataLength()}
     */
    void addData(ByteBuffer data);

    /**
     * Adds data that cannot change until the packet is written (the encoder's own sealed buffer,
     * not live memory): like {@link #addData(ByteBuffer)}, and it also lets the core cover the
     * data with the data checksum without copying it first. A packet whose data was all added
     * this way carries the checksum unless the session's {@link io.multifd.api.DataChecksum} is
     * {@code OFF}. Bytes that do change meanwhile fail the receiver's check.
     *
     * <p>The default adds the data as possibly live (no checksum without a copy).
     *
     * @param data a buffer whose remaining bytes are data, unchanged until the next
     *             {@code prepare} call on this channel
     * @throws IllegalArgumentException if the total would exceed {@link #maxDataLength()}
     */
    default void addStableData(ByteBuffer data) {
        addData(data);
    }

    /** Bytes of data added so far. */
    int dataLength();

    /** The largest total data length of one packet (the configured maximum packet data length). */
    int maxDataLength();

    /**
     * Counts what this packet carries, for the statistics of this payload type.
     *
     * @param items       items whose data travels (RAM: normal pages)
     * @param elidedItems items sent as metadata only (RAM: zero pages)
     */
    void countItems(long items, long elidedItems);
}
