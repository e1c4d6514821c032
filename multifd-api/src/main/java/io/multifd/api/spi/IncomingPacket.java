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

import io.multifd.api.MalformedPacketException;

import java.nio.ByteBuffer;

/**
 * The packet being received, as the core parsed and checked its common header. Owned by the
 * core, one per channel, reused; valid during
 * {@link PayloadChannelReceiver#begin(IncomingPacket, DataTargets)} and
 * {@link PayloadChannelReceiver#end(IncomingPacket)} (and the codec's decode).
 */
public interface IncomingPacket {

    /** The channel the packet arrived on. */
    int channelId();

    /** The packet's sequence number on its channel (checked by the core to be consecutive). */
    long sequence();

    /** The sync epoch the packet belongs to. */
    long epoch();

    /** The offset of this packet's header in the channel's inbound byte stream. */
    long streamOffset();

    /**
     * The payload header: position 0, limit its length. Read-only, untrusted, owned by the core.
     *
     * @return the payload header bytes
     */
    ByteBuffer header();

    /** Data bytes the packet carries after decoding, already checked against the configured cap. */
    int rawLength();

    /**
     * Builds the exception for a malformed field of this packet, with channel and stream offset
     * filled in.
     *
     * @param field  the field, prefixed by the payload name, e.g. {@code "ram.offset"}
     * @param value  the value it had
     * @param reason why it is wrong
     * @return the exception to throw
     */
    MalformedPacketException malformed(String field, Object value, String reason);

    /**
     * Counts what this packet carried, for the statistics of its payload type on the receiver.
     *
     * @param items       items whose data arrived (RAM: normal pages)
     * @param elidedItems items that arrived as metadata only (RAM: zero pages)
     */
    void countItems(long items, long elidedItems);
}
