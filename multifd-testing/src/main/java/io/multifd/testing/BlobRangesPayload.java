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

import io.multifd.api.SetupRefusedException;
import io.multifd.api.spi.DataTargets;
import io.multifd.api.spi.IncomingPacket;
import io.multifd.api.spi.OutgoingPacket;
import io.multifd.api.spi.PayloadChannelReceiver;
import io.multifd.api.spi.PayloadEncoder;
import io.multifd.api.spi.PayloadPlugin;
import io.multifd.api.spi.PayloadReceiver;
import io.multifd.api.spi.ReceiveContext;
import io.multifd.api.spi.SendChannelContext;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A test payload plug-in (wire id {@value #ID}, name {@value #NAME}): ranges of one blob of
 * memory. Useful wherever a real, strict plug-in is needed without RAM's or device state's
 * machinery: to run codecs or transports through the engine, or as the smallest example of the
 * payload contract.
 *
 * <p>The setup record is the blob's length (u64, at most {@value #MAX_BLOB} bytes); each packet's
 * payload header is {@code u64 offset, u32 length}, and its data is that range, added as one
 * buffer per {@value #PIECE}-byte piece on the sender and received into one target per piece (so
 * that packets gather many buffers). The receiver checks every header field against its own
 * destination before naming targets, and refuses naming the field ({@code blob-ranges.*}).
 *
 * <h2>Threads and ownership</h2>
 * The plug-in is shared and thread-safe. The sender's source belongs to the test and must not
 * change while it is sent; the receiver's destination (made by {@code openReceiver}) is written by
 * the channel threads and read by the test after the migration ended.
 */
public final class BlobRangesPayload implements PayloadPlugin<BlobRangesPayload.Range> {

    /** The wire id. */
    public static final int ID = 1_017;
    /** The name. */
    public static final String NAME = "blob-ranges";
    /** Bytes per data buffer and per target. */
    public static final int PIECE = 4096;
    /** The largest blob a receiver accepts: 64 MiB. */
    public static final long MAX_BLOB = 64 << 20;

    /** One range of the source blob: what a slot carries. Owned by whoever owns the slot. */
    public static final class Range {
        long offset;
        int length;

        Range() {
        }

        /**
         * Sets the range to send.
         *
         * @param offset where it starts in the blob
         * @param length how many bytes, at least 1
         * @return this
         */
        public Range set(long offset, int length) {
            this.offset = offset;
            this.length = length;
            return this;
        }

        /** Where the range starts. */
        public long offset() {
            return offset;
        }

        /** The range's length. */
        public int length() {
            return length;
        }
    }

    private final ByteBuffer source;
    private final ByteBuffer fixedDestination;
    private volatile ByteBuffer destination;

    /**
     * The sending side: ranges of {@code source}.
     *
     * @param source the blob, position 0 to capacity; read by the channel threads while sent
     * @return the plug-in
     */
    public static BlobRangesPayload sender(ByteBuffer source) {
        return new BlobRangesPayload(source, null);
    }

    /**
     * The receiving side: the destination is made from the setup record.
     *
     * @return the plug-in
     */
    public static BlobRangesPayload receiver() {
        return new BlobRangesPayload(null, null);
    }

    /**
     * The receiving side, into an existing destination: the setup record must announce a blob
     * of exactly its capacity.
     *
     * @param destination position 0 to capacity; written by the channel threads
     * @return the plug-in
     */
    public static BlobRangesPayload receiverInto(ByteBuffer destination) {
        return new BlobRangesPayload(null, java.util.Objects.requireNonNull(destination, "destination"));
    }

    /**
     * The setup record a sender declares for a blob.
     *
     * @param length the blob's length
     * @return a new buffer, owned by the caller
     */
    public static ByteBuffer setupRecord(long length) {
        return ByteBuffer.allocate(8).putLong(0, length);
    }

    private BlobRangesPayload(ByteBuffer source, ByteBuffer destination) {
        this.source = source;
        this.fixedDestination = destination;
        this.destination = destination;
    }

    /**
     * The destination: the one given to {@link #receiverInto(ByteBuffer)}, or the one the last
     * {@code openReceiver} made.
     *
     * @return the blob being received, or {@code null} before a session opened
     */
    public ByteBuffer destination() {
        return destination;
    }

    @Override
    public int id() {
        return ID;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public PayloadEncoder<Range> newEncoder(SendChannelContext context) {
        return this::prepare;
    }

    private void prepare(Range body, OutgoingPacket packet) {
        packet.header().putLong(body.offset).putInt(body.length);
        int at = Math.toIntExact(body.offset);
        int end = at + body.length;
        while (at < end) {
            int n = Math.min(PIECE, end - at);
            packet.addData(source.slice(at, n));
            at += n;
        }
        packet.countItems(1, 0);
    }

    /** An empty range; a slot keeps it for reuse. */
    @Override
    public Range newBody() {
        return new Range();
    }

    /** Sets the range back to nothing ({@code 0, 0}). */
    @Override
    public void resetBody(Range body) {
        body.set(0, 0);
    }

    @Override
    public PayloadReceiver openReceiver(ReceiveContext context, ByteBuffer setupRecord) throws SetupRefusedException {
        if (setupRecord.remaining() != 8) {
            throw new SetupRefusedException(NAME + ": field '" + NAME + ".setup.length' = " + setupRecord.remaining()
                    + ": the setup record is 8 bytes");
        }
        long length = setupRecord.getLong(setupRecord.position());
        if (length < 0 || length > MAX_BLOB) {
            throw new SetupRefusedException(NAME + ": field '" + NAME + ".setup.blobLength' = " + length
                    + ": over " + MAX_BLOB);
        }
        if (fixedDestination != null && length != fixedDestination.capacity()) {
            throw new SetupRefusedException(NAME + ": field '" + NAME + ".setup.blobLength' = " + length
                    + ": the destination has " + fixedDestination.capacity() + " bytes");
        }
        ByteBuffer dst = fixedDestination != null ? fixedDestination : ByteBuffer.allocateDirect((int) length);
        destination = dst;
        return channelId -> new PayloadChannelReceiver() {
            @Override
            public void begin(IncomingPacket packet, DataTargets targets) throws IOException {
                ByteBuffer h = packet.header();
                if (h.remaining() != 12) {
                    throw packet.malformed(NAME + ".header", h.remaining(), "must be 12 bytes");
                }
                long offset = h.getLong(0);
                int len = h.getInt(8);
                if (offset < 0 || len <= 0 || offset > dst.capacity() - (long) len) {
                    throw packet.malformed(NAME + ".range", offset + "+" + len,
                            "outside the blob of " + dst.capacity() + " bytes");
                }
                if (len != packet.rawLength()) {
                    throw packet.malformed(NAME + ".length", len, "differs from the raw length "
                            + packet.rawLength());
                }
                int at = (int) offset;
                int end = at + len;
                while (at < end) {
                    int n = Math.min(PIECE, end - at);
                    targets.add(dst.slice(at, n));
                    at += n;
                }
                packet.countItems(1, 0);
            }
        };
    }
}
