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
package io.multifd.testing;

import io.multifd.api.MalformedPacketException;
import io.multifd.api.ProtocolCode;
import io.multifd.api.spi.IncomingPacket;

import java.nio.ByteBuffer;

/**
 * An {@link IncomingPacket} as the core hands it to a
 * {@link io.multifd.api.spi.PayloadChannelReceiver}: the test sets the payload header, the raw
 * length and the common header fields, and reads back what the receiver counted.
 * {@link #malformed(String, Object, String)} builds the exception the core would, with the
 * channel and stream offset filled in.
 *
 * <h2>Ownership and threads</h2>
 * Owned by the test and reusable. Not thread-safe: one thread at a time (the thread playing the
 * channel). {@link #header()} returns a read-only view, as the core's is.
 */
public class FakeIncomingPacket implements IncomingPacket {

    private final int channel;
    private ByteBuffer header = ByteBuffer.allocate(0).asReadOnlyBuffer();
    private int rawLength;
    private long sequence;
    private long epoch;
    private long streamOffset;
    private long items;
    private long elided;

    /**
     * An empty packet (no header bytes, no data) on a channel.
     *
     * @param channel the channel id
     */
    public FakeIncomingPacket(int channel) {
        this.channel = channel;
    }

    /**
     * Sets the payload header.
     *
     * @param bytes the header bytes between position and limit; a read-only view is kept (the test
     *              must not change them while the receiver runs)
     * @return this
     */
    public FakeIncomingPacket header(ByteBuffer bytes) {
        this.header = bytes.slice().asReadOnlyBuffer();
        return this;
    }

    /**
     * Sets the payload header.
     *
     * @param bytes the header bytes; wrapped, not copied
     * @return this
     */
    public FakeIncomingPacket header(byte[] bytes) {
        return header(ByteBuffer.wrap(bytes));
    }

    /**
     * Sets the data length the packet announces.
     *
     * @param rawLength data bytes after decoding
     * @return this
     */
    public FakeIncomingPacket rawLength(int rawLength) {
        this.rawLength = rawLength;
        return this;
    }

    /**
     * Sets the sequence number.
     *
     * @param sequence the packet's sequence number on its channel
     * @return this
     */
    public FakeIncomingPacket sequence(long sequence) {
        this.sequence = sequence;
        return this;
    }

    /**
     * Sets the sync epoch.
     *
     * @param epoch the epoch
     * @return this
     */
    public FakeIncomingPacket epoch(long epoch) {
        this.epoch = epoch;
        return this;
    }

    /**
     * Sets the stream offset reported in {@link #malformed(String, Object, String)}.
     *
     * @param streamOffset the offset of the packet's header in the channel's inbound stream
     * @return this
     */
    public FakeIncomingPacket streamOffset(long streamOffset) {
        this.streamOffset = streamOffset;
        return this;
    }

    @Override
    public int channelId() {
        return channel;
    }

    @Override
    public long sequence() {
        return sequence;
    }

    @Override
    public long epoch() {
        return epoch;
    }

    @Override
    public long streamOffset() {
        return streamOffset;
    }

    /** A read-only view of the header: position 0, limit its length. */
    @Override
    public ByteBuffer header() {
        return header.duplicate();
    }

    @Override
    public int rawLength() {
        return rawLength;
    }

    @Override
    public MalformedPacketException malformed(String field, Object value, String reason) {
        return new MalformedPacketException(ProtocolCode.MALFORMED, channel, streamOffset, field, value, reason);
    }

    @Override
    public void countItems(long items, long elidedItems) {
        this.items += items;
        this.elided += elidedItems;
    }

    /** Items the receiver counted on this packet so far. */
    public long items() {
        return items;
    }

    /** Elided items the receiver counted on this packet so far. */
    public long elidedItems() {
        return elided;
    }
}
