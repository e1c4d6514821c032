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

import io.multifd.api.MultiFdConfig;
import io.multifd.api.spi.OutgoingPacket;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * An {@link OutgoingPacket} as the core hands it to a {@link io.multifd.api.spi.PayloadEncoder}:
 * a header buffer of the configured capacity, a list of data buffers capped at the configured
 * maximum data length, and item counters. After {@code prepare} a test reads what the encoder
 * described with {@link #headerBytes()} and {@link #dataBytes()}.
 *
 * <h2>Ownership and threads</h2>
 * Owned by the test, like the core owns one per channel, and reused with {@link #reset()}. Not
 * thread-safe: one thread at a time (the thread playing the channel). The data buffers stay owned
 * by the encoder; this fake keeps references and reads their stated range only. It checks that
 * the encoder leaves their position and limit alone until the bytes are read.
 */
public class FakeOutgoingPacket implements OutgoingPacket {

    private final int channel;
    private final ByteBuffer header;
    private final int maxData;
    private final List<ByteBuffer> data = new ArrayList<>();
    private final List<long[]> ranges = new ArrayList<>();
    private int dataLength;
    private long items;
    private long elided;

    /**
     * A packet for one channel with the configuration's limits.
     *
     * @param channel the channel id
     * @param config  gives the header capacity ({@link MultiFdConfig#maxPayloadHeaderLength()}) and
     *                the data cap ({@link MultiFdConfig#maxPacketDataLength()})
     */
    public FakeOutgoingPacket(int channel, MultiFdConfig config) {
        this(channel, config.maxPayloadHeaderLength(), config.maxPacketDataLength());
    }

    /**
     * A packet for one channel with explicit limits.
     *
     * @param channel         the channel id
     * @param maxHeaderLength the header buffer's capacity
     * @param maxDataLength   the largest total data length
     */
    public FakeOutgoingPacket(int channel, int maxHeaderLength, int maxDataLength) {
        this.channel = channel;
        this.header = ByteBuffer.allocate(maxHeaderLength);
        this.maxData = maxDataLength;
    }

    /** Empties the packet for the next {@code prepare}: clears the header, data and counters. */
    public void reset() {
        header.clear();
        data.clear();
        ranges.clear();
        dataLength = 0;
        items = 0;
        elided = 0;
    }

    @Override
    public int channelId() {
        return channel;
    }

    @Override
    public ByteBuffer header() {
        return header;
    }

    /**
     * Records the buffer (not a copy) and its position and limit.
     *
     * @throws IllegalArgumentException if the total would exceed {@link #maxDataLength()}
     */
    @Override
    public void addData(ByteBuffer d) {
        if (dataLength + (long) d.remaining() > maxData) {
            throw new IllegalArgumentException("data length " + (dataLength + (long) d.remaining())
                    + " would exceed maxPacketDataLength " + maxData);
        }
        data.add(d);
        ranges.add(new long[] {d.position(), d.limit()});
        dataLength += d.remaining();
    }

    @Override
    public int dataLength() {
        return dataLength;
    }

    @Override
    public int maxDataLength() {
        return maxData;
    }

    @Override
    public void countItems(long items, long elidedItems) {
        this.items += items;
        this.elided += elidedItems;
    }

    /** Items counted since the last {@link #reset()}. */
    public long items() {
        return items;
    }

    /** Elided items counted since the last {@link #reset()}. */
    public long elidedItems() {
        return elided;
    }

    /**
     * The data buffers added, in order: the encoder's own buffers, not copies.
     *
     * @return an unmodifiable view, valid until the next {@link #reset()}
     */
    public List<ByteBuffer> data() {
        return Collections.unmodifiableList(data);
    }

    /**
     * The payload header as it would be sent: a copy of bytes 0 to the header's position.
     *
     * @return a new array, owned by the caller
     */
    public byte[] headerBytes() {
        byte[] b = new byte[header.position()];
        header.get(0, b);
        return b;
    }

    /**
     * The data as it would be sent: a copy of every buffer's stated range, in order.
     *
     * @return a new array of {@link #dataLength()} bytes, owned by the caller
     * @throws AssertionError if the encoder changed a buffer's position or limit after adding it
     */
    public byte[] dataBytes() {
        byte[] out = new byte[dataLength];
        int p = 0;
        for (int i = 0; i < data.size(); i++) {
            ByteBuffer d = data.get(i);
            long[] r = ranges.get(i);
            if (d.position() != r[0] || d.limit() != r[1]) {
                throw new AssertionError("data buffer " + i + " changed from [" + r[0] + ", " + r[1] + ") to ["
                        + d.position() + ", " + d.limit() + ") before the packet was written");
            }
            int n = d.remaining();
            d.get(d.position(), out, p, n);
            p += n;
        }
        return out;
    }
}
