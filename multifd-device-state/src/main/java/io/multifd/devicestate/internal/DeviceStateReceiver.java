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
package io.multifd.devicestate.internal;

import io.multifd.api.MalformedPacketException;
import io.multifd.api.MigrationFailedException;
import io.multifd.api.MultiFdException;
import io.multifd.api.ProtocolCode;
import io.multifd.api.spi.DataTargets;
import io.multifd.api.spi.IncomingPacket;
import io.multifd.api.spi.PayloadChannelReceiver;
import io.multifd.api.spi.PayloadReceiver;
import io.multifd.api.spi.ReceiveContext;
import io.multifd.devicestate.DeviceStateLoader;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharsetDecoder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * The receiving side of the device-state payload for one session: parses each packet's payload
 * header on its channel thread, hands the buffer to its {@link Device} (made on first sight, with
 * a registered loader or one from the factory, and a load thread of its own), and at the end
 * checks every device is complete and waits for every loader.
 *
 * <p>Thread-safe as {@link PayloadReceiver} requires: {@link #openChannel(int)} and the channel
 * receivers on channel threads, {@link #finish(Duration)} on the coordinating thread,
 * {@link #abort(Throwable)} on any thread, {@link #close()} once at the end.
 */
public final class DeviceStateReceiver implements PayloadReceiver {

    private static final System.Logger LOG = System.getLogger(DeviceStateReceiver.class.getName());

    private final ReceiveContext context;
    private final ReceiverOptions options;
    private final int maxBufferLength;
    private final long stallNanos;
    private final ThreadFactory threads;

    private final ConcurrentHashMap<DeviceKey, Device> devices = new ConcurrentHashMap<>();
    /** Serializes device creation (count, factory) against abort. */
    private final Object createLock = new Object();
    private volatile Throwable abortCause;
    private volatile boolean finished;
    private boolean closed;

    /**
     * @param context         the session
     * @param options         loaders and caps
     * @param maxBufferLength the largest buffer the sender announced in its setup record
     */
    public DeviceStateReceiver(ReceiveContext context, ReceiverOptions options, int maxBufferLength) {
        this.context = context;
        this.options = options;
        this.maxBufferLength = maxBufferLength;
        this.stallNanos = context.config().ioTimeout().toNanos();
        this.threads = context.threadFactory("load");
    }

    @Override
    public PayloadChannelReceiver openChannel(int channelId) {
        return new ChannelReceiver();
    }

    /** Returns the device for a buffer's header, creating it (and starting its load thread) on first sight. */
    private Device device(IncomingPacket packet, String id, int instance) throws IOException {
        DeviceKey key = new DeviceKey(id, instance);
        Device d = devices.get(key);
        if (d != null) {
            return d;
        }
        synchronized (createLock) {
            d = devices.get(key);
            if (d != null) {
                return d;
            }
            Throwable cause = abortCause;
            if (cause != null) {
                throw new MigrationFailedException("device-state: migration aborted", cause);
            }
            if (devices.size() >= options.maxDevices()) {
                throw packet.malformed("device-state.id", DeviceStateWire.printable(id), "device " + key
                        + " would be device number " + (devices.size() + 1) + ", more than the limit of "
                        + options.maxDevices() + " devices");
            }
            DeviceStateLoader loader = options.loaders().get(key);
            boolean registered = loader != null;
            if (loader == null && options.factory() != null) {
                try {
                    loader = options.factory().create(id, instance);
                } catch (Exception | Error e) {
                    throw new MultiFdException(ProtocolCode.PLUGIN_FAILED, "device-state: the loader factory failed for device "
                            + key + ": " + e, e);
                }
            }
            if (loader == null) {
                // a valid packet this receiver was not set up for: its configuration, not a damaged stream
                throw new MultiFdException(ProtocolCode.PLUGIN_FAILED, "device-state: field 'device-state.id' = "
                        + DeviceStateWire.printable(id) + ": no loader is registered for device " + key
                        + (options.factory() == null ? " and there is no loader factory" : " and the loader factory declined it"));
            }
            d = new Device(key, loader, registered, options.maxBuffers(), options.maxOutOfOrderBytes(),
                    options.maxBacklogBytes(), stallNanos, context::fail);
            Thread t = threads.newThread(d.loadLoop());
            t.setName(t.getName() + "-" + threadSuffix(key));
            devices.put(key, d);
            d.start(t);
            return d;
        }
    }

    private static String threadSuffix(DeviceKey key) {
        String id = key.id();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < id.length() && sb.length() < 40; i++) {
            char c = id.charAt(i);
            sb.append(c >= 0x21 && c < 0x7F ? c : '_');
        }
        return sb.append('#').append(DeviceStateWire.instanceString(key.instance())).toString();
    }

    /**
     * Checks that every device is complete (its last buffer and every buffer before it arrived)
     * and that every required registered device sent something, then waits for every loader to
     * complete and its thread to end.
     *
     * @throws MalformedPacketException naming {@code device-state.last}, {@code device-state.index}
     *                                  or {@code device-state.id}
     * @throws IOException              a loader's failure, the abort cause, a timeout or an interrupt
     */
    @Override
    public void finish(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Throwable cause = abortCause;
        if (cause != null) {
            throw new MigrationFailedException("device-state: migration aborted", cause);
        }
        if (options.requireRegistered()) {
            for (DeviceKey key : options.loaders().keySet()) {
                if (!devices.containsKey(key)) {
                    throw new MalformedPacketException(ProtocolCode.MALFORMED, MalformedPacketException.NO_CHANNEL, -1,
                            "device-state.id", DeviceStateWire.printable(key.id()), "device " + key
                            + " has a registered loader but no state arrived");
                }
            }
        }
        List<Device> all = new ArrayList<>(devices.values());
        for (Device d : all) {
            d.checkComplete();
        }
        for (Device d : all) {
            d.awaitDone(deadline, timeout.toString());
        }
        finished = true;
        LOG.log(System.Logger.Level.DEBUG, "device-state: {0} devices loaded", all.size());
    }

    /**
     * Wakes every waiting channel thread, interrupts every load thread and tells every loader
     * that did not complete (registered loaders whose device sent nothing included).
     */
    @Override
    public void abort(Throwable cause) {
        List<Device> all;
        synchronized (createLock) {
            if (abortCause != null) {
                return;
            }
            abortCause = cause;
            all = new ArrayList<>(devices.values());
        }
        for (Device d : all) {
            d.abort(cause);
        }
        if (!finished) {
            for (Map.Entry<DeviceKey, DeviceStateLoader> e : options.loaders().entrySet()) {
                if (!devices.containsKey(e.getKey())) {
                    Device.abortLoader(e.getKey(), e.getValue(), cause);
                }
            }
        }
    }

    /** Aborts if {@link #finish(Duration)} did not succeed, then waits for every load thread to end. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        if (!finished) {
            abort(new MultiFdException(ProtocolCode.ABORTED, "device-state: receiver closed before the migration finished"));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (Device d : devices.values()) {
            long ms = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (!d.joinThread(ms)) {
                LOG.log(System.Logger.Level.WARNING, "device-state: load thread {0} of device {1} did not end:"
                        + " its loader ignores interrupts", d.threadName(), d.key);
            }
        }
    }

    /**
     * For tests and diagnostics: a device's queued out-of-order bytes (with the per-buffer
     * overhead), in-order bytes waiting for its loader, and channel threads waiting for backlog
     * space; zeros for an unknown device.
     *
     * @param id       the device id
     * @param instance the instance id
     * @return {@code {outOfOrderBytes, inOrderBytes, waitingChannels}}
     */
    public long[] queuedBytes(String id, int instance) {
        Device d = devices.get(new DeviceKey(id, instance));
        return d == null ? new long[3] : d.queuedBytes();
    }

    /** One channel's receiver: parses headers, confined to the channel thread. */
    private final class ChannelReceiver implements PayloadChannelReceiver {
        private final CharsetDecoder decoder = DeviceStateWire.strictDecoder();
        private Device device;
        private ReorderWindow.Entry entry;

        @Override
        public void begin(IncomingPacket packet, DataTargets targets) throws IOException {
            ByteBuffer h = packet.header();
            int headerLength = h.limit();
            if (headerLength < DeviceStateWire.FIXED_HEADER_LENGTH) {
                throw packet.malformed("device-state.header-length", headerLength,
                        "shorter than the fixed " + DeviceStateWire.FIXED_HEADER_LENGTH + " bytes");
            }
            int flags = h.get(0) & 0xFF;
            if ((flags & ~DeviceStateWire.FLAG_LAST) != 0) {
                throw packet.malformed("device-state.flags", "0x" + Integer.toHexString(flags), "reserved bits set");
            }
            int idLength = h.get(1) & 0xFF;
            if (idLength == 0) {
                throw packet.malformed("device-state.id-length", 0, "the device id is empty");
            }
            if (headerLength != DeviceStateWire.FIXED_HEADER_LENGTH + idLength) {
                throw packet.malformed("device-state.header-length", headerLength, "must be "
                        + DeviceStateWire.FIXED_HEADER_LENGTH + " + id length " + idLength);
            }
            int reserved = h.getShort(2) & 0xFFFF;
            if (reserved != 0) {
                throw packet.malformed("device-state.reserved", reserved, "must be 0");
            }
            int instance = h.getInt(4);
            long index = h.getInt(8) & 0xFFFFFFFFL;
            if (index >= options.maxBuffers()) {
                throw packet.malformed("device-state.index", index, "beyond the limit of "
                        + options.maxBuffers() + " buffers per device");
            }
            String id = DeviceStateWire.decodeId(decoder, h, DeviceStateWire.FIXED_HEADER_LENGTH, idLength);
            if (id == null) {
                throw packet.malformed("device-state.id", hex(h, idLength), "not valid UTF-8, or contains NUL");
            }
            boolean last = (flags & DeviceStateWire.FLAG_LAST) != 0;
            int length = packet.rawLength();
            if (length > maxBufferLength) {
                throw packet.malformed("device-state.length", length, "exceeds the max buffer length "
                        + maxBufferLength + " announced in the setup record");
            }
            if (length == 0 && !last) {
                throw packet.malformed("device-state.length", 0, "only the last buffer of a device may be empty (buffer "
                        + index + " of device " + new DeviceKey(id, instance) + ")");
            }
            Device d = device(packet, id, instance);
            ReorderWindow.Entry e = d.accept(packet, index, last, length);
            device = d;
            entry = e;
            if (length > 0) {
                targets.add(ByteBuffer.wrap(e.data));
            }
        }

        @Override
        public void end(IncomingPacket packet) throws IOException {
            Device d = device;
            ReorderWindow.Entry e = entry;
            device = null;
            entry = null;
            if (d == null) {
                throw new IOException("device-state: end() without begin() on channel " + packet.channelId());
            }
            d.received(e);
            packet.countItems(1, 0);
        }

        private String hex(ByteBuffer h, int idLength) {
            StringBuilder sb = new StringBuilder("0x");
            for (int i = 0; i < idLength && i < 32; i++) {
                sb.append(String.format("%02x", h.get(DeviceStateWire.FIXED_HEADER_LENGTH + i) & 0xFF));
            }
            return sb.toString();
        }
    }
}
