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
import java.util.Objects;

/**
 * A test payload plug-in (wire id {@value #ID}, name {@code blob}): numbered blobs, each with an
 * id, a version and some bytes derived from both (so the receiver can check content). A packet
 * carries up to {@link Body#MAX_BLOBS} blobs. What the receiving side saw is recorded in a
 * {@link BlobSink}; {@link BlobClient} fills and sends the slots. For tests of the engine and of
 * transports, where the payload only has to be strict and checkable.
 *
 * <p>Payload header: u32 count, then per blob u64 id, u32 version, u32 length; data: the blobs'
 * bytes, concatenated.
 *
 * <p>Threads: the plug-in is shared and thread-safe; a body belongs to whoever owns its slot;
 * each channel receiver is confined to its channel thread.
 */
public class BlobPayload implements PayloadPlugin<BlobPayload.Body> {

    /** Wire id. */
    public static final int ID = 1000;

    private final BlobSink sink;

    /** A sending-side instance (its receiving side records into a fresh sink). */
    public BlobPayload() {
        this(new BlobSink());
    }

    /** An instance whose receiving side records into {@code sink}. */
    public BlobPayload(BlobSink sink) {
        this.sink = Objects.requireNonNull(sink);
    }

    /** Where received blobs are recorded. */
    public BlobSink sink() {
        return sink;
    }

    @Override
    public int id() {
        return ID;
    }

    @Override
    public String name() {
        return "blob";
    }

    @Override
    public Body newBody() {
        return new Body();
    }

    @Override
    public void resetBody(Body body) {
        body.count = 0;
        body.data.clear();
    }

    @Override
    public PayloadEncoder<Body> newEncoder(SendChannelContext context) {
        return (body, packet) -> {
            ByteBuffer h = packet.header();
            h.putInt(body.count);
            for (int i = 0; i < body.count; i++) {
                h.putLong(body.ids[i]).putInt(body.versions[i]).putInt(body.lengths[i]);
            }
            ByteBuffer d = body.data.duplicate().flip();
            if (d.hasRemaining()) {
                packet.addData(d);
            }
            packet.countItems(body.count, 0);
        };
    }

    @Override
    public PayloadReceiver openReceiver(ReceiveContext context, ByteBuffer setupRecord) throws io.multifd.api.SetupRefusedException {
        sink.setupRecordSeen(setupRecord.remaining());
        return new PayloadReceiver() {
            @Override
            public PayloadChannelReceiver openChannel(int channelId) {
                return new ChannelSide(channelId);
            }

            @Override
            public void abort(Throwable cause) {
                sink.aborted(cause);
            }
        };
    }

    /** Fills bodies. */
    public static final class Body {
        /** Most blobs per packet. */
        public static final int MAX_BLOBS = 64;
        final long[] ids = new long[MAX_BLOBS];
        final int[] versions = new int[MAX_BLOBS];
        final int[] lengths = new int[MAX_BLOBS];
        int count;
        final ByteBuffer data = ByteBuffer.allocateDirect(256 * 1024);

        /** True if no more blob of {@code length} bytes fits. */
        public boolean full(int length) {
            return count == MAX_BLOBS || data.remaining() < length;
        }

        /** Number of blobs. */
        public int count() {
            return count;
        }

        /**
         * Adds a blob whose bytes are {@link BlobSink#contentByte(long, int, int)}.
         *
         * @param id      blob id
         * @param version its version
         * @param length  its size
         */
        public void add(long id, int version, int length) {
            if (full(length)) {
                throw new IllegalStateException("body full");
            }
            ids[count] = id;
            versions[count] = version;
            lengths[count] = length;
            count++;
            for (int i = 0; i < length; i++) {
                data.put(BlobSink.contentByte(id, version, i));
            }
        }
    }

    private final class ChannelSide implements PayloadChannelReceiver {
        private final int channel;
        private final ByteBuffer buf = ByteBuffer.allocateDirect(256 * 1024);
        private int count;
        private final long[] ids = new long[Body.MAX_BLOBS];
        private final int[] versions = new int[Body.MAX_BLOBS];
        private final int[] lengths = new int[Body.MAX_BLOBS];

        ChannelSide(int channel) {
            this.channel = channel;
        }

        @Override
        public void begin(IncomingPacket packet, DataTargets targets) throws IOException {
            ByteBuffer h = packet.header();
            if (h.remaining() < 4) {
                throw packet.malformed("blob.count", h.remaining() + " header bytes", "header too short");
            }
            int n = h.getInt(0);
            if (n < 0 || n > Body.MAX_BLOBS) {
                throw packet.malformed("blob.count", n, "must be 0 to " + Body.MAX_BLOBS);
            }
            if (h.remaining() != 4 + 16L * n) {
                throw packet.malformed("blob.header length", h.remaining(), "expected " + (4 + 16L * n));
            }
            long total = 0;
            for (int i = 0; i < n; i++) {
                ids[i] = h.getLong(4 + 16 * i);
                versions[i] = h.getInt(12 + 16 * i);
                lengths[i] = h.getInt(16 + 16 * i);
                if (lengths[i] < 0) {
                    throw packet.malformed("blob.length", lengths[i], "negative");
                }
                total += lengths[i];
            }
            if (total != packet.rawLength() || total > buf.capacity()) {
                throw packet.malformed("blob.length", total, "raw length is " + packet.rawLength());
            }
            count = n;
            buf.clear().limit((int) total);
            targets.add(buf);
            sink.beforeApply(channel, ids, count);
        }

        @Override
        public void end(IncomingPacket packet) throws IOException {
            int pos = 0;
            for (int i = 0; i < count; i++) {
                sink.record(channel, packet.epoch(), ids[i], versions[i], buf, pos, lengths[i]);
                pos += lengths[i];
            }
            packet.countItems(count, 0);
        }
    }
}
