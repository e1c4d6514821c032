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

import io.multifd.api.MigrationFailedException;
import io.multifd.api.MigrationListener;
import io.multifd.api.MigrationStats;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.PayloadStats;
import io.multifd.api.SendData;
import io.multifd.api.SendSession;
import io.multifd.api.SessionId;
import io.multifd.api.spi.IncomingPacket;
import io.multifd.api.spi.PayloadChannelReceiver;
import io.multifd.api.spi.PayloadEncoder;
import io.multifd.api.spi.PayloadPlugin;
import io.multifd.api.spi.PayloadReceiver;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A {@link SendSession} without sockets or channel threads, for testing a payload plug-in and its
 * client (a saver) together without the core: {@link #send(SendData)} swaps slots as the core does
 * (each of {@link MultiFdConfig#channels()} fake channels keeps a slot, round-robin), prepares the
 * packet with that channel's {@link PayloadEncoder}, and hands it at once to the same channel's
 * {@link PayloadChannelReceiver} on the receiving side: begin, fill the targets, end.
 *
 * <h2>Use</h2>
 * <ol>
 *   <li>{@link #register(PayloadPlugin, PayloadPlugin)} each plug-in with the instance that sends
 *       and the one that receives (or {@link #register(PayloadPlugin)} for a sending side only:
 *       its packets are then only {@linkplain #capture(boolean) captured});</li>
 *   <li>the client declares its setup record ({@code declare}, before connecting);</li>
 *   <li>{@link #connect()} opens every receiving side with the record its sender declared (a
 *       {@link io.multifd.api.SetupRefusedException} propagates), and one encoder and one channel
 *       receiver per channel;</li>
 *   <li>the client sends; {@link #sync()} ends an epoch; {@link #finish(Duration)} calls every
 *       receiver's {@code finish}; {@link #close()} closes everything.</li>
 * </ol>
 * It also records ownership violations (a slot in two {@code send} calls at once, or sent while a
 * channel still owns it), lets a test make a {@code send} fail ({@link #interceptor}), counts what
 * was sent and received, and shows each applied packet to an {@link #observer}.
 *
 * <h2>Threads</h2>
 * Register every plug-in before the session is shared with other threads. Then thread-safe:
 * several clients may call {@code send} at once, as with the core. Each packet is
 * prepared and applied on the calling client's thread, under this session's lock, so one channel's
 * encoder and receiver are never called by two threads at once (the lock orders the calls). A
 * plug-in's own threads (device-state loaders) run as they would under the core; a failure they
 * report through the receive context fails the session, and the next {@code send} throws.
 */
public class LoopbackSendSession implements SendSession, AutoCloseable {

    /** Counts the 48-byte packet header the core writes before each payload header. */
    public static final int PACKET_HEADER_LENGTH = 48;

    /**
     * One packet as it would travel, or a sync marker ({@code header == null}).
     *
     * @param channel the channel (-1 for a sync marker)
     * @param epoch   the sync epoch it belongs to
     * @param typeId  the payload's wire id (0 for a sync marker)
     * @param header  a copy of the payload header, or {@code null} for a sync marker
     * @param data    a copy of the data, or {@code null} for a sync marker
     */
    public record CapturedPacket(int channel, long epoch, int typeId, byte[] header, byte[] data) {
        /** True for the marker {@link LoopbackSendSession#sync()} leaves. */
        public boolean isSync() {
            return header == null;
        }
    }

    /** Lets a test fail a {@code send} before it swaps. */
    @FunctionalInterface
    public interface SendInterceptor {
        /**
         * Called under the session's lock before the swap.
         *
         * @param packetNumber how many sends got this far before this one
         * @throws IOException to make this {@code send} throw it (no swap happens)
         */
        void beforeSend(int packetNumber) throws IOException;
    }

    /** Sees every packet the receiving side applied. */
    @FunctionalInterface
    public interface PacketObserver {
        /**
         * Called under the session's lock, after the channel receiver's {@code end}.
         *
         * @param packet the packet (channel, epoch, payload header), valid during this call
         * @param typeId the payload's wire id
         */
        void applied(IncomingPacket packet, int typeId);
    }

    private final Object lock = new Object();
    private final MultiFdConfig config;
    private final int channels;
    private final Map<PayloadPlugin<?>, Kind<?>> kinds = new LinkedHashMap<>();
    private final SendData[] channelSlots;
    private final FakeReceiveContext receiveContext;
    private final Set<SendData> inSend = ConcurrentHashMap.newKeySet();
    private final List<String> violations = new CopyOnWriteArrayList<>();
    private final List<CapturedPacket> packets = new CopyOnWriteArrayList<>();
    private volatile MigrationListener listener = MigrationListener.NONE;
    private volatile SendInterceptor interceptor;
    private volatile PacketObserver observer = (p, t) -> { };
    private volatile boolean capture;
    private volatile boolean connected;
    private volatile boolean closed;
    private int next;
    private int sent;
    private long epoch;

    /**
     * A session with the configuration's channel count and limits and nothing registered.
     *
     * @param config the configuration both sides use
     */
    public LoopbackSendSession(MultiFdConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        this.channels = config.channels();
        this.channelSlots = new SendData[channels];
        for (int i = 0; i < channels; i++) {
            channelSlots[i] = new SendData();
        }
        this.receiveContext = new FakeReceiveContext(channels, config).onFailure(this::abortReceivers);
    }

    /**
     * Registers a plug-in whose packets are only captured: nothing receives them.
     * {@linkplain #capture(boolean) Capturing} is switched on.
     *
     * @param sending the instance clients fill slots with
     * @return this
     */
    public LoopbackSendSession register(PayloadPlugin<?> sending) {
        capture = true;
        return register(sending, null);
    }

    /**
     * Registers a plug-in with its receiving side. Before {@link #connect()} only.
     *
     * @param sending   the instance clients fill slots with
     * @param receiving the instance whose {@code openReceiver} gets the declared setup record (may
     *                  be {@code sending} itself); {@code null} for none
     * @param <B>       the body type
     * @return this
     */
    public <B> LoopbackSendSession register(PayloadPlugin<B> sending, PayloadPlugin<?> receiving) {
        synchronized (lock) {
            if (connected) {
                throw new IllegalStateException("register before connect()");
            }
            if (kinds.containsKey(sending)) {
                throw new IllegalStateException("'" + sending.name() + "' is already registered");
            }
            kinds.put(sending, new Kind<>(sending, receiving));
        }
        return this;
    }

    /**
     * Sets the listener {@link #listener()} returns and {@link #sync()} tells.
     *
     * @param listener the listener
     * @return this
     */
    public LoopbackSendSession listener(MigrationListener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
        return this;
    }

    /**
     * Keeps (or stops keeping) a copy of every packet and sync marker, for {@link #packets()}.
     *
     * @param on whether to capture
     * @return this
     */
    public LoopbackSendSession capture(boolean on) {
        this.capture = on;
        return this;
    }

    /**
     * Sets what runs before each swap (null for nothing).
     *
     * @param interceptor the interceptor
     */
    public void interceptor(SendInterceptor interceptor) {
        this.interceptor = interceptor;
    }

    /**
     * Sets what sees each applied packet.
     *
     * @param observer the observer
     */
    public void observer(PacketObserver observer) {
        this.observer = Objects.requireNonNull(observer, "observer");
    }

    /**
     * Opens the receiving side of every declared plug-in that has one, and every channel's
     * encoders and receivers. Clients can send afterwards.
     *
     * @throws io.multifd.api.SetupRefusedException if a receiving side refused its setup record
     * @throws IOException                          if a channel receiver could not be opened
     * @throws IllegalStateException                if already connected, or if nothing was declared
     */
    public void connect() throws IOException {
        synchronized (lock) {
            if (connected) {
                throw new IllegalStateException("already connected");
            }
            if (kinds.values().stream().allMatch(k -> k.record == null)) {
                throw new IllegalStateException("nothing declared: a client declares its setup record before connect()");
            }
            for (Kind<?> k : kinds.values()) {
                k.open();
            }
            connected = true;
        }
    }

    /** The context every receiving side was opened with; its {@code fail} fails this session. */
    public FakeReceiveContext receiveContext() {
        return receiveContext;
    }

    /**
     * The setup record a plug-in declared.
     *
     * @param plugin the sending instance
     * @return a read-only view of the copy taken at {@code declare}, or empty if none
     */
    public Optional<ByteBuffer> declared(PayloadPlugin<?> plugin) {
        Kind<?> k = kinds.get(plugin);
        return k == null || k.record == null ? Optional.empty() : Optional.of(k.record.asReadOnlyBuffer());
    }

    /**
     * The receiving side a plug-in's record opened.
     *
     * @param plugin the sending instance
     * @return the receiver, or empty before {@link #connect()} or without a receiving side
     */
    public Optional<PayloadReceiver> receiver(PayloadPlugin<?> plugin) {
        Kind<?> k = kinds.get(plugin);
        return k == null ? Optional.empty() : Optional.ofNullable(k.receiver);
    }

    @Override
    public MultiFdConfig config() {
        return config;
    }

    @Override
    public SessionId sessionId() {
        return receiveContext.sessionId();
    }

    @Override
    public <P extends PayloadPlugin<?>> Optional<P> payload(Class<P> type) {
        for (PayloadPlugin<?> p : kinds.keySet()) {
            if (type.isInstance(p)) {
                return Optional.of(type.cast(p));
            }
        }
        return Optional.empty();
    }

    @Override
    public void declare(PayloadPlugin<?> plugin, ByteBuffer setupRecord) {
        synchronized (lock) {
            Kind<?> k = kinds.get(plugin);
            if (k == null) {
                throw new IllegalArgumentException("'" + plugin.name() + "' is not registered with this session");
            }
            if (connected) {
                throw new IllegalStateException("declare after connect()");
            }
            if (k.record != null) {
                throw new IllegalStateException("'" + plugin.name() + "' was already declared");
            }
            ByteBuffer c = ByteBuffer.allocate(setupRecord.remaining());
            c.put(setupRecord.duplicate()).flip();
            k.record = c;
        }
    }

    @Override
    public SendData newSlot() {
        return new SendData();
    }

    @Override
    public SendData send(SendData filled) throws IOException {
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
        synchronized (lock) {
            checkUsable();
            Kind<?> kind = kinds.get(filled.plugin());
            if (kind == null) {
                throw new IllegalArgumentException("slot holds an unregistered plug-in '" + filled.plugin().name() + "'");
            }
            SendInterceptor h = interceptor;
            if (h != null) {
                h.beforeSend(sent);
            }
            sent++;
            int c = next;
            next = (next + 1) % channels;
            for (SendData owned : channelSlots) {
                if (owned == filled) {
                    violations.add("slot " + System.identityHashCode(filled) + " is owned by a channel");
                }
            }
            SendData empty = channelSlots[c];
            inSend.remove(filled);
            channelSlots[c] = filled;
            // what the channel thread does: prepare, write (here: apply), clear
            kind.transfer(c, filled);
            filled.clear();
            return empty;
        }
    }

    private void checkUsable() throws MigrationFailedException {
        if (closed) {
            throw new IllegalStateException("session closed");
        }
        if (!connected) {
            throw new IllegalStateException("not connected");
        }
        Throwable failure = receiveContext.failure();
        if (failure != null) {
            throw new MigrationFailedException("the receiving side failed: " + failure, failure);
        }
    }

    /** Leaves a sync marker (when capturing), tells the listener and ends the epoch. */
    @Override
    public long sync() throws MigrationFailedException {
        synchronized (lock) {
            checkUsable();
            if (capture) {
                packets.add(new CapturedPacket(-1, epoch, 0, null, null));
            }
            listener.onSync(epoch);
            return epoch++;
        }
    }

    /**
     * Calls every receiving side's {@code finish}, as the core does once every channel ended.
     *
     * @param timeout passed on
     * @throws IOException whatever a receiver's {@code finish} throws
     */
    public void finish(Duration timeout) throws IOException {
        List<PayloadReceiver> rs = new ArrayList<>();
        synchronized (lock) {
            checkUsable();
            for (Kind<?> k : kinds.values()) {
                if (k.receiver != null) {
                    rs.add(k.receiver);
                }
            }
        }
        for (PayloadReceiver r : rs) {
            r.finish(timeout);
        }
    }

    @Override
    public MigrationListener listener() {
        return listener;
    }

    /** What was sent: every counter the core keeps, but elapsed time (zero) and per-channel ones. */
    @Override
    public MigrationStats stats() {
        synchronized (lock) {
            List<PayloadStats> per = new ArrayList<>(); // the totals are the sums of the payloads'
            for (Kind<?> k : kinds.values()) {
                per.add(k.sentStats());
            }
            per.sort((a, b) -> Integer.compare(a.typeId(), b.typeId()));
            return new MigrationStats(sessionId(), channels, "none", Duration.ZERO,
                    per.stream().mapToLong(PayloadStats::packets).sum(), per.stream().mapToLong(PayloadStats::rawBytes).sum(),
                    per.stream().mapToLong(PayloadStats::wireBytes).sum(), epoch, List.of(), per);
        }
    }

    /**
     * What the receiving side of a plug-in counted: packets, raw bytes and the items its channel
     * receivers reported.
     *
     * @param plugin the sending instance
     * @return the counters (zero for an unregistered plug-in)
     */
    public PayloadStats receivedStats(PayloadPlugin<?> plugin) {
        synchronized (lock) {
            Kind<?> k = kinds.get(plugin);
            return k == null ? new PayloadStats(plugin.id(), plugin.name(), 0, 0, 0, 0, 0) : k.receivedStats();
        }
    }

    /**
     * Every captured packet and sync marker, in send order.
     *
     * @return an unmodifiable snapshot
     */
    public List<CapturedPacket> packets() {
        return List.copyOf(packets);
    }

    /**
     * The captured data packets (no sync markers), in send order.
     *
     * @return a new list, owned by the caller
     */
    public List<CapturedPacket> dataPackets() {
        List<CapturedPacket> out = new ArrayList<>();
        for (CapturedPacket c : packets) {
            if (!c.isSync()) {
                out.add(c);
            }
        }
        return out;
    }

    /**
     * Ownership violations seen so far (empty if the clients kept the rules).
     *
     * @return an unmodifiable snapshot
     */
    public List<String> violations() {
        return List.copyOf(violations);
    }

    /** Closes every encoder, channel receiver and receiver. Idempotent. */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            for (Kind<?> k : kinds.values()) {
                k.close();
            }
        }
    }

    private void abortReceivers(Throwable cause) {
        // called from fail(): possibly a plug-in thread, possibly under the lock (a channel receiver);
        // receivers are published before any packet flows
        for (Kind<?> k : kinds.values()) {
            PayloadReceiver r = k.receiver;
            if (r != null) {
                r.abort(cause);
            }
        }
    }

    /** One registered payload type: its two sides, per-channel state and counters. Guarded by the lock. */
    private final class Kind<B> {
        final PayloadPlugin<B> sending;
        final PayloadPlugin<?> receiving;
        ByteBuffer record;
        volatile PayloadReceiver receiver;
        final List<PayloadEncoder<B>> encoders = new ArrayList<>();
        final List<FakeOutgoingPacket> outs = new ArrayList<>();
        final List<PayloadChannelReceiver> channelReceivers = new ArrayList<>();
        final long[] sequences = new long[channels];
        final long[] streamOffsets = new long[channels];
        long txPackets;
        long txRaw;
        long txWire;
        long txItems;
        long txElided;
        long rxPackets;
        long rxRaw;
        long rxItems;
        long rxElided;

        Kind(PayloadPlugin<B> sending, PayloadPlugin<?> receiving) {
            this.sending = sending;
            this.receiving = receiving;
        }

        void open() throws IOException {
            if (receiving != null && record != null) {
                receiver = receiving.openReceiver(receiveContext, record.asReadOnlyBuffer());
            }
            for (int k = 0; k < channels; k++) {
                encoders.add(sending.newEncoder(new FakeSendChannelContext(k, channels, config)));
                outs.add(new FakeOutgoingPacket(k, config));
                if (receiver != null) {
                    channelReceivers.add(receiver.openChannel(k));
                }
            }
        }

        void transfer(int c, SendData slot) throws IOException {
            B body = slot.body(sending);
            FakeOutgoingPacket out = outs.get(c);
            out.reset();
            encoders.get(c).prepare(body, out);
            byte[] header = out.headerBytes();
            byte[] data = out.dataBytes();
            int wireLength = PACKET_HEADER_LENGTH + header.length + data.length;
            txPackets++;
            txRaw += data.length;
            txWire += wireLength;
            txItems += out.items();
            txElided += out.elidedItems();
            if (capture) {
                packets.add(new CapturedPacket(c, epoch, sending.id(), header, data));
            }
            if (!channelReceivers.isEmpty()) {
                FakeIncomingPacket in = new FakeIncomingPacket(c).header(header).epoch(epoch)
                        .sequence(sequences[c]++).streamOffset(streamOffsets[c]);
                streamOffsets[c] += wireLength;
                FakeDataTargets.deliver(channelReceivers.get(c), in, data);
                rxPackets++;
                rxRaw += data.length;
                rxItems += in.items();
                rxElided += in.elidedItems();
                observer.applied(in, sending.id());
            }
        }

        PayloadStats sentStats() {
            return new PayloadStats(sending.id(), sending.name(), txPackets, txRaw, txWire, txItems, txElided);
        }

        PayloadStats receivedStats() {
            return new PayloadStats(sending.id(), sending.name(), rxPackets, rxRaw, txWire, rxItems, rxElided);
        }

        void close() {
            for (PayloadEncoder<B> e : encoders) {
                e.close();
            }
            for (PayloadChannelReceiver r : channelReceivers) {
                r.close();
            }
            if (receiver != null) {
                receiver.close();
            }
        }
    }
}
