package io.multifd.ram;

import io.multifd.api.MigrationListener;
import io.multifd.api.MigrationStats;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.PayloadStats;
import io.multifd.api.SendData;
import io.multifd.api.SendSession;
import io.multifd.api.SessionId;
import io.multifd.api.spi.PayloadChannelReceiver;
import io.multifd.api.spi.PayloadEncoder;
import io.multifd.api.spi.PayloadPlugin;
import io.multifd.api.spi.PayloadReceiver;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A synchronous stand-in for the core sender and receiver: {@code send} prepares the packet with
 * channel k's encoder and applies it at once with channel k's receiver (round-robin over k), so
 * the RAM module's sender and receiver sides can be tested together without the core.
 * Single-threaded, like the saver.
 */
final class LoopbackSession implements SendSession {

    final MultiFdConfig config;
    final RamPayload sendPayload;
    final RamPayload receivePayload;
    final int channels;
    final MigrationListener listener;
    private ByteBuffer record;
    private boolean connected;
    private final List<PayloadEncoder<RamBody>> encoders = new ArrayList<>();
    private final List<Stubs.Out> outs = new ArrayList<>();
    private final List<PayloadChannelReceiver> receivers = new ArrayList<>();
    private final SendData[] channelSlots;
    private PayloadReceiver receiver;
    private int next;
    private long epoch;
    long packets;
    long rawBytes;
    long wireBytes;
    long items;
    long elided;
    long rxItems;
    long rxElided;
    /** Called for every page applied: (channel, epoch, block, offset). */
    PageObserver observer = (c, e, b, o) -> { };

    interface PageObserver {
        void page(int channel, long epoch, String block, long offset);
    }

    LoopbackSession(MultiFdConfig config, RamPayload sendPayload, RamPayload receivePayload, MigrationListener listener) {
        this.config = config;
        this.sendPayload = sendPayload;
        this.receivePayload = receivePayload;
        this.channels = config.channels();
        this.listener = listener;
        this.channelSlots = new SendData[channels];
        for (int i = 0; i < channels; i++) {
            channelSlots[i] = new SendData();
        }
    }

    /** Opens the receiving side with the declared record (what the core does on the manifest). */
    void connect() throws IOException {
        if (record == null) {
            throw new IllegalStateException("nothing declared");
        }
        receiver = receivePayload.openReceiver(Stubs.receiveContext(channels, config), record.asReadOnlyBuffer());
        for (int k = 0; k < channels; k++) {
            encoders.add(sendPayload.newEncoder(Stubs.sendContext(k, channels, config)));
            outs.add(new Stubs.Out(k, config));
            receivers.add(receiver.openChannel(k));
        }
        connected = true;
    }

    ByteBuffer declaredRecord() {
        return record.asReadOnlyBuffer();
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
        return type.isInstance(sendPayload) ? Optional.of(type.cast(sendPayload)) : Optional.empty();
    }

    @Override
    public void declare(PayloadPlugin<?> plugin, ByteBuffer setupRecord) {
        if (connected || record != null) {
            throw new IllegalStateException("declared after connect or twice");
        }
        if (plugin != sendPayload) {
            throw new IllegalArgumentException("not registered");
        }
        ByteBuffer c = ByteBuffer.allocate(setupRecord.remaining());
        c.put(setupRecord.duplicate()).flip();
        record = c;
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
        int k = next;
        next = (next + 1) % channels;
        RamBody body = filled.body(sendPayload);
        Stubs.Out out = outs.get(k);
        out.reset();
        encoders.get(k).prepare(body, out);
        ByteBuffer header = out.headerBytes();
        byte[] data = out.dataBytes();
        packets++;
        rawBytes += data.length;
        wireBytes += 48 + header.remaining() + data.length;
        items += out.items;
        elided += out.elided;
        Stubs.In in = Stubs.deliver(header, data, receivers.get(k), k, epoch);
        rxItems += in.items;
        rxElided += in.elided;
        int n = header.getShort(2);
        String name = new String(header.array(), 12, n, java.nio.charset.StandardCharsets.UTF_8);
        int total = header.getInt(4) + header.getInt(8);
        for (int i = 0; i < total; i++) {
            observer.page(k, epoch, name, header.getLong(12 + n + 8 * i));
        }
        filled.clear();
        SendData empty = channelSlots[k];
        channelSlots[k] = filled;
        return empty;
    }

    @Override
    public long sync() {
        listener.onSync(epoch);
        return epoch++;
    }

    @Override
    public MigrationListener listener() {
        return listener;
    }

    @Override
    public MigrationStats stats() {
        return new MigrationStats(sessionId(), channels, "none", Duration.ZERO, packets, rawBytes, wireBytes, epoch,
                List.of(), List.of(new PayloadStats(1, "ram", packets, rawBytes, wireBytes, items, elided)));
    }

    void close() {
        for (PayloadEncoder<RamBody> e : encoders) {
            e.close();
        }
        for (PayloadChannelReceiver r : receivers) {
            r.close();
        }
        if (receiver != null) {
            receiver.close();
        }
    }
}
