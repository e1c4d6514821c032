package io.multifd.devicestate;

import io.multifd.api.MigrationListener;
import io.multifd.api.MigrationStats;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.SendData;
import io.multifd.api.SendSession;
import io.multifd.api.SessionId;
import io.multifd.api.spi.OutgoingPacket;
import io.multifd.api.spi.PayloadEncoder;
import io.multifd.api.spi.PayloadPlugin;
import io.multifd.api.spi.SendChannelContext;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A stand-in for the core's sender: swaps slots like the core (each fake channel keeps a slot),
 * runs the encoder, and captures every packet (header bytes and a copy of the data). Records a
 * violation when a slot is in two {@code send} calls at once or is still owned by a channel.
 */
class FakeSession implements SendSession {

    /** One captured packet, or a sync marker ({@code header == null}). */
    record Captured(int channel, byte[] header, byte[] data) {
        boolean isSync() {
            return header == null;
        }
    }

    /** Lets a test make {@code send} fail. */
    interface SendInterceptor {
        void beforeSend(int packetNumber) throws IOException;
    }

    private final MultiFdConfig config;
    private final DeviceStatePayload plugin;
    private final SendData[] channelSlots;
    private final PayloadEncoder<DeviceStateBody>[] encoders;
    private final StubOutgoing[] outgoing;
    private int next;
    final List<Captured> packets = new CopyOnWriteArrayList<>();
    final java.util.Set<SendData> inSend = ConcurrentHashMap.newKeySet();
    final List<String> violations = new CopyOnWriteArrayList<>();
    volatile ByteBuffer declared;
    volatile boolean connected = true;
    volatile SendInterceptor interceptor;
    private int sent;

    @SuppressWarnings("unchecked")
    FakeSession(MultiFdConfig config, DeviceStatePayload plugin) {
        this.config = config;
        this.plugin = plugin;
        int n = config.channels();
        channelSlots = new SendData[n];
        encoders = new PayloadEncoder[n];
        outgoing = new StubOutgoing[n];
        for (int i = 0; i < n; i++) {
            int id = i;
            channelSlots[i] = new SendData();
            encoders[i] = plugin.newEncoder(new SendChannelContext() {
                @Override
                public int channelId() {
                    return id;
                }

                @Override
                public int channelCount() {
                    return n;
                }

                @Override
                public MultiFdConfig config() {
                    return config;
                }
            });
            outgoing[i] = new StubOutgoing(i, config.maxPayloadHeaderLength(), config.maxPacketDataLength());
        }
    }

    @Override
    public MultiFdConfig config() {
        return config;
    }

    @Override
    public SessionId sessionId() {
        return new SessionId(1, 2);
    }

    @Override
    public <P extends PayloadPlugin<?>> Optional<P> payload(Class<P> type) {
        return type.isInstance(plugin) ? Optional.of(type.cast(plugin)) : Optional.empty();
    }

    @Override
    public void declare(PayloadPlugin<?> p, ByteBuffer setupRecord) {
        if (p != plugin) {
            throw new IllegalArgumentException("not registered");
        }
        if (declared != null) {
            throw new IllegalStateException("already declared");
        }
        ByteBuffer copy = ByteBuffer.allocate(setupRecord.remaining());
        copy.put(setupRecord.duplicate()).flip();
        declared = copy;
    }

    @Override
    public SendData newSlot() {
        return new SendData();
    }

    @Override
    public SendData send(SendData filled) throws IOException {
        if (!connected) {
            throw new IllegalStateException("not connected");
        }
        if (filled.isEmpty()) {
            throw new IllegalArgumentException("empty slot");
        }
        if (!inSend.add(filled)) {
            violations.add("slot " + System.identityHashCode(filled) + " is in two send() calls at once");
        }
        boolean swapped = false;
        try {
            SendData empty = swap(filled);
            swapped = true;
            return empty;
        } finally {
            if (!swapped) {
                inSend.remove(filled);
            }
        }
    }

    private SendData swap(SendData filled) throws IOException {
        synchronized (this) {
            SendInterceptor h = interceptor;
            if (h != null) {
                h.beforeSend(sent);
            }
            sent++;
            int c = next;
            next = (next + 1) % channelSlots.length;
            for (SendData owned : channelSlots) {
                if (owned == filled) {
                    violations.add("slot " + System.identityHashCode(filled) + " is owned by a channel");
                }
            }
            SendData empty = channelSlots[c];
            inSend.remove(filled);
            channelSlots[c] = filled;
            // the "channel thread": prepare, write (capture), clear
            StubOutgoing out = outgoing[c];
            out.reset();
            encoders[c].prepare(filled.body(plugin), out);
            packets.add(new Captured(c, out.headerBytes(), out.dataBytes()));
            filled.clear();
            return empty;
        }
    }

    @Override
    public synchronized long sync() {
        packets.add(new Captured(-1, null, null));
        return 0;
    }

    @Override
    public MigrationListener listener() {
        return MigrationListener.NONE;
    }

    @Override
    public MigrationStats stats() {
        return new MigrationStats(sessionId(), config.channels(), "none", Duration.ZERO, 0, 0, 0, 0, List.of(), List.of());
    }

    /** Data packets only, in send order. */
    List<Captured> dataPackets() {
        List<Captured> out = new ArrayList<>();
        for (Captured c : packets) {
            if (!c.isSync()) {
                out.add(c);
            }
        }
        return out;
    }

    /** A minimal {@link OutgoingPacket}. */
    static final class StubOutgoing implements OutgoingPacket {
        private final int channel;
        private final ByteBuffer header;
        private final int maxData;
        private final List<ByteBuffer> data = new ArrayList<>();
        private int dataLength;
        long items;

        StubOutgoing(int channel, int maxHeader, int maxData) {
            this.channel = channel;
            this.header = ByteBuffer.allocate(maxHeader);
            this.maxData = maxData;
        }

        void reset() {
            header.clear();
            data.clear();
            dataLength = 0;
        }

        byte[] headerBytes() {
            byte[] b = new byte[header.position()];
            header.duplicate().flip().get(b);
            return b;
        }

        byte[] dataBytes() {
            byte[] b = new byte[dataLength];
            int p = 0;
            for (ByteBuffer d : data) {
                ByteBuffer v = d.duplicate();
                int n = v.remaining();
                v.get(b, p, n);
                p += n;
            }
            return b;
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
                throw new IllegalArgumentException("too much data");
            }
            int pos = d.position();
            int lim = d.limit();
            data.add(d);
            dataLength += d.remaining();
            if (d.position() != pos || d.limit() != lim) {
                throw new AssertionError();
            }
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
        }
    }
}
