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
package io.multifd.core.testkit;

import io.multifd.api.SessionId;
import io.multifd.api.spi.TransportChannel;
import io.multifd.api.spi.TransportConnector;
import io.multifd.core.wire.ByteSource;
import io.multifd.core.wire.Crc;
import io.multifd.core.wire.Hello;
import io.multifd.core.wire.Manifest;
import io.multifd.core.wire.PacketHeader;
import io.multifd.core.wire.Reply;
import io.multifd.core.wire.Wire;
import io.multifd.testing.BlobPayload;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;

/**
 * A hand-driven sender channel that writes exactly the bytes a test wants: well-formed or not.
 * Test code only.
 */
public final class RawClient implements AutoCloseable {

    private final TransportChannel channel;
    private long readOffset;

    private RawClient(TransportChannel channel) {
        this.channel = channel;
    }

    /** Connects one raw channel. */
    public static RawClient connect(TransportConnector connector, int id) throws IOException {
        return new RawClient(connector.connect(id, Duration.ofSeconds(5)));
    }

    /** Writes a hello with the given fields. */
    public RawClient hello(SessionId session, int id, int count, int codecId, String params) throws IOException {
        return write(new Hello(1, 1, session, id, count, codecId, params, 0, 1 << 20).encode());
    }

    /** Writes a manifest. */
    public RawClient manifest(List<Manifest.Record> records) throws IOException {
        return write(new Manifest(records).encode());
    }

    /** Writes raw bytes. */
    public RawClient write(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            channel.write(b);
        }
        return this;
    }

    /** Writes raw bytes. */
    public RawClient write(byte[] b) throws IOException {
        return write(ByteBuffer.wrap(b));
    }

    /**
     * Writes a packet: header (CRC computed, then optionally spoiled), payload header and data.
     *
     * @param h          the header fields (its CRC fields for the payload header are computed here)
     * @param payload    payload header bytes
     * @param data       data bytes
     * @param spoilCrc   flip a bit in the header CRC
     */
    public RawClient packet(PacketHeader h, byte[] payload, byte[] data, boolean spoilCrc) throws IOException {
        h.headerLength = payload.length;
        h.payloadHeaderCrc = payload.length == 0 ? 0 : Crc.ofArray(payload, 0, payload.length);
        ByteBuffer hb = ByteBuffer.allocate(48);
        h.encode(hb);
        if (spoilCrc) {
            hb.put(47, (byte) (hb.get(47) ^ 1));
        }
        write(hb);
        write(payload);
        return write(data);
    }

    /** Reads the receiver's next reply, or returns null at end of stream. */
    public Reply reply() throws IOException {
        ByteSource src = new ByteSource() {
            @Override
            public void readFully(ByteBuffer dst, String what) throws IOException {
                while (dst.hasRemaining()) {
                    int n = channel.read(dst);
                    if (n < 0) {
                        throw new EOFException("end of stream");
                    }
                    readOffset += n;
                }
            }

            @Override
            public long offset() {
                return readOffset;
            }

            @Override
            public int channel() {
                return -1;
            }
        };
        try {
            return Reply.read(src);
        } catch (EOFException e) {
            return null;
        }
    }

    /** A data packet header for the blob payload with the given sequence and lengths. */
    public static PacketHeader blobHeader(long sequence, long raw) {
        PacketHeader h = new PacketHeader();
        h.typeId = BlobPayload.ID;
        h.flags = Wire.FLAG_RAW;
        h.sequence = sequence;
        h.rawLength = raw;
        h.encodedLength = raw;
        return h;
    }

    /** Ends the outbound direction: the receiver reads end of stream, and may still reply. */
    public void shutdownOutput() throws IOException {
        channel.shutdownOutput();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
