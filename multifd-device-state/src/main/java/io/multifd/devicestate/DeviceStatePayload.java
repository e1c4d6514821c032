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
package io.multifd.devicestate;

import com.google.auto.service.AutoService;
import io.multifd.api.SetupRefusedException;
import io.multifd.api.spi.PayloadEncoder;
import io.multifd.api.spi.PayloadPlugin;
import io.multifd.api.spi.PayloadReceiver;
import io.multifd.api.spi.ReceiveContext;
import io.multifd.api.spi.SendChannelContext;
import io.multifd.devicestate.internal.DeviceKey;
import io.multifd.devicestate.internal.DeviceStateEncoder;
import io.multifd.devicestate.internal.DeviceStateReceiver;
import io.multifd.devicestate.internal.DeviceStateWire;
import io.multifd.devicestate.internal.ReceiverOptions;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The device-state payload plug-in (wire id {@value #ID}, name {@value #NAME}): moves opaque
 * per-device state (a VFIO device's multi-megabyte state, any state stream) on the same channels
 * as RAM, at the same time.
 *
 * <p>A packet carries one buffer of one device's state. A device, named by an id string and an
 * instance number, is cut by the {@link DeviceStateSaver} into buffers with indexes 0 to n-1; the
 * last one carries the LAST flag (a 0-byte state is one empty last buffer). On the receiver the
 * buffers of a device may arrive on any channel in any order: their order comes from the index,
 * never from sync, and each device's {@link DeviceStateLoader} consumes them strictly in order on
 * a load thread of its own.
 *
 * <h2>Payload header (big-endian), 12 + L bytes</h2>
 * <pre>
 * offset size field                    rule on the receiver
 *  0     1    flags                    0x01 LAST; other bits refused ("device-state.flags")
 *  1     1    id length L              1 to 255 ("device-state.id-length")
 *  2     2    reserved                 0 ("device-state.reserved")
 *  4     4    instance id (u32)        any
 *  8     4    buffer index (u32)       below maxBuffersPerDevice; never twice; not after the
 *                                      last buffer ("device-state.index")
 * 12     L    device id                UTF-8 without NUL; must have a loader ("device-state.id")
 * </pre>
 * The header length must be exactly 12 + L ("device-state.header-length"). The data is the
 * buffer's bytes; only the LAST buffer may be empty, and no buffer may exceed the maximum buffer
 * length announced in the setup record ("device-state.length").
 *
 * <h2>Setup record (big-endian), 8 bytes</h2>
 * <pre>
 * offset size field
 *  0     2    format version: 1
 *  2     2    flags: reserved, 0
 *  4     4    max buffer length: the largest buffer the saver sends, 1 to the receiver's
 *             maxPacketDataLength
 * </pre>
 * Declared by {@link DeviceStateSaver#open(io.multifd.api.SendSession)}; a record of another
 * length, version or flags, or an out-of-range maximum, is refused with
 * {@link SetupRefusedException} naming the field.
 *
 * <h2>Receiver memory</h2>
 * Per device, at most about {@code maxOutOfOrderBytesPerDevice} (buffers waiting for an earlier
 * index; more fails the migration) plus {@code maxBacklogBytesPerDevice} (in-order buffers waiting
 * for the loader; more makes the channels that carry that device wait) plus one buffer per
 * channel. A receiving buffer is allocated per packet, once its size was checked against these
 * caps.
 *
 * <h2>Use</h2>
 * The no-argument constructor (what {@link java.util.ServiceLoader} makes) has no loaders and
 * no factory: enough on the sender, while a receiver made with it refuses any device. Receivers
 * pass a configured instance to the registry:
 * <pre>{@code
 * DeviceStatePayload devices = DeviceStatePayload.builder()
 *         .loader("net0", 0, netLoader)
 *         .loaderFactory((id, instance) -> new FileLoader(dir, id, instance))
 *         .build();
 * MultiFdReceiver receiver = MultiFdReceiver.builder(config, listener).payload(devices).build();
 * }</pre>
 *
 * <p>Thread-safe and immutable: one instance serves every session and channel. A registered
 * loader instance is handed the state of every session this instance receives; register it for
 * one migration, or use a factory for repeated ones.
 */
@SuppressWarnings({"rawtypes", "exports"}) // AutoService names the generic SPI raw; its annotation is compile-only
@AutoService(PayloadPlugin.class)
public final class DeviceStatePayload implements PayloadPlugin<DeviceStateBody> {

    /** The wire id. */
    public static final int ID = DeviceStateWire.PAYLOAD_ID;
    /** The name. */
    public static final String NAME = DeviceStateWire.PAYLOAD_NAME;
    /** Default of {@link Builder#maxOutOfOrderBytesPerDevice(long)}: 64 MiB. */
    public static final long DEFAULT_MAX_OUT_OF_ORDER_BYTES = 64L << 20;
    /** Default of {@link Builder#maxBacklogBytesPerDevice(long)}: 16 MiB. */
    public static final long DEFAULT_MAX_BACKLOG_BYTES = 16L << 20;
    /** Default of {@link Builder#maxBuffersPerDevice(int)}: 2^24. */
    public static final int DEFAULT_MAX_BUFFERS = 1 << 24;
    /** Default of {@link Builder#maxDevices(int)}: 1024. */
    public static final int DEFAULT_MAX_DEVICES = 1024;

    private final ReceiverOptions options;

    /**
     * Makes the plug-in with defaults and no loaders: what {@link java.util.ServiceLoader} finds.
     * Enough for a sender; a receiver needs {@link #builder()}.
     */
    public DeviceStatePayload() {
        this(new Builder());
    }

    private DeviceStatePayload(Builder b) {
        this.options = new ReceiverOptions(b.loaders, b.factory, b.maxOutOfOrderBytes, b.maxBacklogBytes,
                b.maxBuffers, b.maxDevices, b.requireRegistered);
    }

    /**
     * Returns a builder for a receiver's instance (loaders, factory, caps). Any thread.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public int id() {
        return ID;
    }

    @Override
    public String name() {
        return NAME;
    }

    /**
     * Makes an empty body; its data buffer is made on first use. Called by the core on the client
     * thread that first fills a slot with device state.
     */
    @Override
    public DeviceStateBody newBody() {
        return new DeviceStateBody();
    }

    /** Empties a body, keeping its data buffer. Called by the slot's owner. */
    @Override
    public void resetBody(DeviceStateBody body) {
        body.reset();
    }

    /** Makes a channel's encoder (stateless); called on that channel's thread. */
    @Override
    public PayloadEncoder<DeviceStateBody> newEncoder(SendChannelContext context) {
        return new DeviceStateEncoder();
    }

    /**
     * Checks the setup record and starts the session's receiving side. Called by the core on the
     * thread that read the manifest; the record is read, not kept.
     *
     * @throws SetupRefusedException naming {@code device-state.setup.length},
     *                               {@code device-state.setup.version}, {@code device-state.setup.flags}
     *                               or {@code device-state.setup.max-buffer-length}
     */
    /**
     * Describes a device-state payload header for tools: flags, device id, instance and buffer
     * index. Never throws.
     *
     * @param header the payload header (position 0 to limit)
     * @return the fields in wire order
     */
    @Override
    public Map<String, Object> describeHeader(ByteBuffer header) {
        Map<String, Object> m = new LinkedHashMap<>();
        int hl = header.limit();
        if (hl < DeviceStateWire.FIXED_HEADER_LENGTH) {
            m.put("error", "a " + hl + "-byte header is shorter than the " + DeviceStateWire.FIXED_HEADER_LENGTH
                    + "-byte fixed part");
            return m;
        }
        int flags = header.get(0) & 0xFF;
        int idLength = header.get(1) & 0xFF;
        m.put("flags", (flags & DeviceStateWire.FLAG_LAST) != 0 ? "LAST" : String.valueOf(flags));
        m.put("instance", Integer.toUnsignedLong(header.getInt(4)));
        m.put("index", Integer.toUnsignedLong(header.getInt(8)));
        if (DeviceStateWire.FIXED_HEADER_LENGTH + idLength != hl) {
            m.put("error", "a " + idLength + "-byte id in a " + hl + "-byte header");
            return m;
        }
        String id = DeviceStateWire.decodeId(DeviceStateWire.strictDecoder(), header,
                DeviceStateWire.FIXED_HEADER_LENGTH, idLength);
        m.put("device", id == null ? "(not UTF-8, or holds NUL)" : DeviceStateWire.printable(id));
        return m;
    }

    @Override
    public PayloadReceiver openReceiver(ReceiveContext context, ByteBuffer setupRecord) throws SetupRefusedException {
        ByteBuffer r = setupRecord.duplicate();
        if (r.remaining() != DeviceStateWire.SETUP_RECORD_LENGTH) {
            throw new SetupRefusedException("device-state: field 'device-state.setup.length' = " + r.remaining()
                    + ": the setup record must be " + DeviceStateWire.SETUP_RECORD_LENGTH + " bytes");
        }
        int p = r.position();
        int version = r.getShort(p) & 0xFFFF;
        int flags = r.getShort(p + 2) & 0xFFFF;
        long maxBuffer = r.getInt(p + 4) & 0xFFFFFFFFL;
        if (version != DeviceStateWire.FORMAT_VERSION) {
            throw new SetupRefusedException("device-state: field 'device-state.setup.version' = " + version
                    + ": only format version " + DeviceStateWire.FORMAT_VERSION + " is supported");
        }
        if (flags != 0) {
            throw new SetupRefusedException("device-state: field 'device-state.setup.flags' = 0x"
                    + Integer.toHexString(flags) + ": reserved, must be 0");
        }
        int cap = context.config().maxPacketDataLength();
        if (maxBuffer < 1 || maxBuffer > cap) {
            throw new SetupRefusedException("device-state: field 'device-state.setup.max-buffer-length' = "
                    + maxBuffer + ": must be between 1 and the max packet data length " + cap);
        }
        if (options.loaders().isEmpty() && options.factory() == null) {
            // refused before any RAM moves, rather than failing at the first device's state
            throw new SetupRefusedException("device-state: the sender sends device state, and this receiver has no "
                    + "loader and no loader factory to load it into (give its DeviceStatePayload a loader() or a "
                    + "loaderFactory())");
        }
        return new DeviceStateReceiver(context, options, (int) maxBuffer);
    }

    /** The registered loaders' devices, for diagnostics. */
    @Override
    public String toString() {
        return "DeviceStatePayload[loaders=" + options.loaders().keySet() + ", factory="
                + (options.factory() != null) + "]";
    }

    /**
     * Collects a receiver's loaders and caps. Not thread-safe; every setter validates and throws
     * {@link IllegalArgumentException} naming the option.
     */
    public static final class Builder {
        private final Map<DeviceKey, DeviceStateLoader> loaders = new LinkedHashMap<>();
        private DeviceStateLoaderFactory factory;
        private long maxOutOfOrderBytes = DEFAULT_MAX_OUT_OF_ORDER_BYTES;
        private long maxBacklogBytes = DEFAULT_MAX_BACKLOG_BYTES;
        private int maxBuffers = DEFAULT_MAX_BUFFERS;
        private int maxDevices = DEFAULT_MAX_DEVICES;
        private boolean requireRegistered = true;

        private Builder() {
        }

        /**
         * Registers the loader of one device.
         *
         * @param deviceId the device id (1 to 255 bytes of UTF-8, no NUL)
         * @param instance the instance id
         * @param loader   the loader, owned by the library for the sessions of this plug-in
         * @return this builder
         * @throws IllegalArgumentException if the id is invalid or already registered
         */
        public Builder loader(String deviceId, int instance, DeviceStateLoader loader) {
            DeviceStateWire.encodeId(deviceId, DeviceStateWire.MAX_ID_LENGTH);
            Objects.requireNonNull(loader, "loader");
            DeviceKey key = new DeviceKey(deviceId, instance);
            if (loaders.putIfAbsent(key, loader) != null) {
                throw new IllegalArgumentException("loader: device " + key + " is already registered");
            }
            return this;
        }

        /**
         * Sets the factory for devices without a registered loader; without one such devices are
         * refused.
         *
         * @param factory the factory, or {@code null} for none
         * @return this builder
         */
        public Builder loaderFactory(DeviceStateLoaderFactory factory) {
            this.factory = factory;
            return this;
        }

        /**
         * Per device: how many bytes of buffers that arrived before an earlier buffer of the same
         * device may be queued (each buffer also counts a fixed 128 bytes of bookkeeping). More
         * fails the migration ({@code device-state.queued-bytes}): channels never wait for them.
         *
         * @param bytes at least 1 MiB; default 64 MiB
         * @return this builder
         */
        public Builder maxOutOfOrderBytesPerDevice(long bytes) {
            if (bytes < (1 << 20)) {
                throw new IllegalArgumentException("maxOutOfOrderBytesPerDevice must be at least 1 MiB: " + bytes);
            }
            this.maxOutOfOrderBytes = bytes;
            return this;
        }

        /**
         * Per device: how many in-order bytes may wait for a slow loader before the channels that
         * deliver the device's next in-order buffers wait too (back-pressure). The wait fails the
         * migration when the loader makes no progress within the I/O timeout.
         *
         * @param bytes at least 1; default 16 MiB
         * @return this builder
         */
        public Builder maxBacklogBytesPerDevice(long bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("maxBacklogBytesPerDevice must be positive: " + bytes);
            }
            this.maxBacklogBytes = bytes;
            return this;
        }

        /**
         * Per device: the largest number of buffers; a buffer index at or above it is refused
         * ({@code device-state.index}).
         *
         * @param buffers 1 to {@link Integer#MAX_VALUE}; default 2^24
         * @return this builder
         */
        public Builder maxBuffersPerDevice(int buffers) {
            if (buffers < 1) {
                throw new IllegalArgumentException("maxBuffersPerDevice must be positive: " + buffers);
            }
            this.maxBuffers = buffers;
            return this;
        }

        /**
         * Per session: the largest number of devices (each has a load thread); one more is refused
         * ({@code device-state.id}).
         *
         * @param devices 1 to 65536; default 1024
         * @return this builder
         */
        public Builder maxDevices(int devices) {
            if (devices < 1 || devices > 65536) {
                throw new IllegalArgumentException("maxDevices must be between 1 and 65536: " + devices);
            }
            this.maxDevices = devices;
            return this;
        }

        /**
         * Whether a registered loader whose device sent nothing fails the migration at the end
         * ({@code device-state.id}: "registered but no state arrived"). Default true: a device
         * the destination expects but never got is a broken migration. Set false when
         * registered devices are optional; such loaders are then left untouched.
         *
         * @param require whether registered devices are required
         * @return this builder
         */
        public Builder requireRegisteredDevices(boolean require) {
            this.requireRegistered = require;
            return this;
        }

        /** Returns the plug-in instance to hand to the receiver's registry. */
        public DeviceStatePayload build() {
            return new DeviceStatePayload(this);
        }
    }
}
