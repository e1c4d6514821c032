package io.multifd.ram;

import io.multifd.api.MalformedPacketException;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.ProtocolCode;
import io.multifd.api.SessionId;
import io.multifd.api.spi.DataTargets;
import io.multifd.api.spi.IncomingPacket;
import io.multifd.api.spi.OutgoingPacket;
import io.multifd.api.spi.PayloadChannelReceiver;
import io.multifd.api.spi.ReceiveContext;
import io.multifd.api.spi.SendChannelContext;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;

/** Test doubles for the core's side of the SPI: packets, targets and contexts. */
final class Stubs {

    private Stubs() {
    }

    static final class Out implements OutgoingPacket {
        final int channel;
        final ByteBuffer header;
        final int maxData;
        final List<ByteBuffer> data = new ArrayList<>();
        int dataLength;
        long items;
        long elided;

        Out(int channel, MultiFdConfig config) {
            this.channel = channel;
            this.header = ByteBuffer.allocate(config.maxPayloadHeaderLength());
            this.maxData = config.maxPacketDataLength();
        }

        void reset() {
            header.clear();
            data.clear();
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

        @Override
        public void addData(ByteBuffer d) {
            if (dataLength + d.remaining() > maxData) {
                throw new IllegalArgumentException("data over " + maxData);
            }
            data.add(d);
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

        /** The payload header as sent: a copy, position 0. */
        ByteBuffer headerBytes() {
            ByteBuffer h = header.duplicate().flip();
            ByteBuffer c = ByteBuffer.allocate(h.remaining());
            c.put(h).flip();
            return c;
        }

        /** The data as sent: a copy of every buffer's remaining bytes, in order. */
        byte[] dataBytes() {
            byte[] out = new byte[dataLength];
            int p = 0;
            for (ByteBuffer d : data) {
                ByteBuffer x = d.duplicate();
                int n = x.remaining();
                x.get(out, p, n);
                p += n;
            }
            return out;
        }
    }

    static final class In implements IncomingPacket {
        final int channel;
        ByteBuffer header;
        int rawLength;
        long sequence;
        long epoch;
        long items;
        long elided;

        In(int channel) {
            this.channel = channel;
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
            return sequence * 1000;
        }

        @Override
        public ByteBuffer header() {
            return header;
        }

        @Override
        public int rawLength() {
            return rawLength;
        }

        @Override
        public MalformedPacketException malformed(String field, Object value, String reason) {
            return new MalformedPacketException(ProtocolCode.MALFORMED, channel, streamOffset(), field, value, reason);
        }

        @Override
        public void countItems(long items, long elidedItems) {
            this.items += items;
            this.elided += elidedItems;
        }
    }

    static final class Targets implements DataTargets {
        final List<ByteBuffer> list = new ArrayList<>();

        @Override
        public void add(ByteBuffer target) {
            list.add(target);
        }

        int total() {
            int t = 0;
            for (ByteBuffer b : list) {
                t += b.remaining();
            }
            return t;
        }
    }

    /**
     * Delivers a packet as the core would: begin, fill the targets with the data, end.
     *
     * @return the incoming packet (for its counts)
     */
    static In deliver(ByteBuffer header, byte[] data, PayloadChannelReceiver rx, int channel, long epoch)
            throws IOException {
        In in = new In(channel);
        in.header = header.asReadOnlyBuffer();
        in.rawLength = data.length;
        in.epoch = epoch;
        Targets t = new Targets();
        rx.begin(in, t);
        if (t.total() != data.length) {
            throw new AssertionError("targets total " + t.total() + " != raw length " + data.length);
        }
        int p = 0;
        for (ByteBuffer b : t.list) {
            int n = b.remaining();
            b.put(data, p, n);
            p += n;
        }
        rx.end(in);
        return in;
    }

    static SendChannelContext sendContext(int channel, int channels, MultiFdConfig config) {
        return new SendChannelContext() {
            @Override
            public int channelId() {
                return channel;
            }

            @Override
            public int channelCount() {
                return channels;
            }

            @Override
            public MultiFdConfig config() {
                return config;
            }
        };
    }

    static ReceiveContext receiveContext(int channels, MultiFdConfig config) {
        return new ReceiveContext() {
            @Override
            public SessionId sessionId() {
                return new SessionId(1, 2);
            }

            @Override
            public int channelCount() {
                return channels;
            }

            @Override
            public MultiFdConfig config() {
                return config;
            }

            @Override
            public ThreadFactory threadFactory(String purpose) {
                return Executors.defaultThreadFactory();
            }

            @Override
            public void fail(Throwable cause) {
                throw new AssertionError("fail", cause);
            }
        };
    }
}
