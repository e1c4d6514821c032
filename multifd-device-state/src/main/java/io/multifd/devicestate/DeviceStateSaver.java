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

import io.multifd.api.SendData;
import io.multifd.api.SendSession;
import io.multifd.devicestate.internal.DeviceKey;
import io.multifd.devicestate.internal.DeviceStateWire;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.LongAdder;

/**
 * Sends device state over a migration's channels, from many threads at once, while other
 * clients (the RAM saver) keep sending.
 *
 * <p>Each {@code save} cuts one device's state into buffers of at most
 * {@link #maxBufferLength()} bytes, indexes them 0 to n-1, marks the last one (a 0-byte state is
 * one empty last buffer) and hands each to a channel with {@link SendSession#send(SendData)}. The
 * caller's bytes are copied into the slot's own buffer before {@code save} returns, so the caller
 * may reuse its buffer at once. On the receiver the device's loader gets the buffers in index order
 * (see {@link DeviceStatePayload}).
 *
 * <pre>{@code
 * DeviceStateSaver devices = DeviceStateSaver.open(sender);   // before sender.connect()
 * sender.connect();
 * pool.submit(() -> devices.save("net0", 0, netState));       // many threads at once
 * pool.submit(() -> devices.save("gpu0", 0, out -> gpu.writeStateTo(out)));
 * ...
 * sender.finish();                                            // after every save returned
 * }</pre>
 *
 * <h2>Threads and slots</h2>
 * Thread-safe. Each {@code save} call takes a slot from a pool of its own (made with
 * {@link SendSession#newSlot()} when the pool is empty) and puts it back when it returns, so no
 * slot is ever used by two threads at once and the pool holds as many slots as there were
 * concurrent saves. A slot's body keeps a data buffer of up to {@link #maxBufferLength()} bytes
 * (direct memory), reused for every later buffer: the sender's device-state memory is about
 * (channels + concurrent saves) times the maximum buffer length.
 *
 * <h2>Failure</h2>
 * A device may be saved once per session: saving the same id and instance again throws. If a
 * {@code save} fails (the migration failed, the thread was interrupted, the state producer threw),
 * the device's last buffer is not sent: its state is incomplete, and the receiver fails the
 * migration at the end ({@code device-state.last}). The migration itself is failed only by the
 * core's own errors; a client that gives up should abort the sender.
 */
public final class DeviceStateSaver {

    /** Default {@linkplain #maxBufferLength() maximum buffer length}: 1 MiB. */
    public static final int DEFAULT_MAX_BUFFER_LENGTH = 1 << 20;

    /** Scratch size for reading an {@link InputStream}. */
    private static final int READ_CHUNK = 64 << 10;

    private final SendSession session;
    private final DeviceStatePayload plugin;
    private final int maxBufferLength;
    private final int maxIdLength;
    private final ConcurrentLinkedQueue<SendData> freeSlots = new ConcurrentLinkedQueue<>();
    private final Set<DeviceKey> saved = ConcurrentHashMap.newKeySet();
    private final LongAdder buffers = new LongAdder();
    private final LongAdder bytes = new LongAdder();
    private final LongAdder devices = new LongAdder();

    private DeviceStateSaver(SendSession session, DeviceStatePayload plugin, int maxBufferLength) {
        this.session = session;
        this.plugin = plugin;
        this.maxBufferLength = maxBufferLength;
        this.maxIdLength = session.config().maxPayloadHeaderLength() - DeviceStateWire.FIXED_HEADER_LENGTH;
    }

    /**
     * Opens a saver with buffers of at most {@value #DEFAULT_MAX_BUFFER_LENGTH} bytes (or the
     * session's max packet data length, if smaller), and declares the device-state setup record.
     * Call it on the thread that sets the session up, before the session connects.
     *
     * @param session a session in state NEW, with the device-state plug-in registered
     * @return the saver
     * @throws IllegalArgumentException if no {@link DeviceStatePayload} is registered with the session
     * @throws IllegalStateException    if the session already connected, or device state was already declared
     */
    public static DeviceStateSaver open(SendSession session) {
        return open(session, DEFAULT_MAX_BUFFER_LENGTH);
    }

    /**
     * Opens a saver with a chosen maximum buffer length, and declares the setup record. Call it
     * before the session connects.
     *
     * @param session         a session in state NEW, with the device-state plug-in registered
     * @param maxBufferLength the largest data length of one buffer (packet), at least 1; capped
     *                        at the session's {@link io.multifd.api.MultiFdConfig#maxPacketDataLength()}
     * @return the saver
     * @throws IllegalArgumentException if {@code maxBufferLength < 1}, or no {@link DeviceStatePayload}
     *                                  is registered with the session
     * @throws IllegalStateException    if the session already connected, or device state was already declared
     */
    public static DeviceStateSaver open(SendSession session, int maxBufferLength) {
        Objects.requireNonNull(session, "session");
        if (maxBufferLength < 1) {
            throw new IllegalArgumentException("maxBufferLength must be positive: " + maxBufferLength);
        }
        DeviceStatePayload plugin = session.payload(DeviceStatePayload.class).orElseThrow(() ->
                new IllegalArgumentException("no device-state payload plug-in (" + DeviceStatePayload.class.getName()
                        + ") is registered with the session"));
        int max = Math.min(maxBufferLength, session.config().maxPacketDataLength());
        session.declare(plugin, DeviceStateWire.setupRecord(max));
        return new DeviceStateSaver(session, plugin, max);
    }

    /** The largest data length of one buffer (packet) this saver sends. */
    public int maxBufferLength() {
        return maxBufferLength;
    }

    /**
     * Saves a device's state from an array. Blocks while channels are busy (back-pressure).
     * Any thread; many at once.
     *
     * @param deviceId the device id: 1 to 255 bytes of UTF-8, no NUL
     * @param instance the instance id (sent as an unsigned 32-bit number)
     * @param state    the whole state; read during the call only, never changed
     * @throws IOException              if the migration failed or the wait for a channel was
     *                                  interrupted or timed out; the device is then incomplete
     * @throws IllegalArgumentException if the id is invalid
     * @throws IllegalStateException    if this device was already saved in this session, or the
     *                                  session is not connected
     */
    public void save(String deviceId, int instance, byte[] state) throws IOException {
        save(deviceId, instance, state, 0, state.length);
    }

    /**
     * Saves a device's state from part of an array. As {@link #save(String, int, byte[])}.
     *
     * @param deviceId the device id
     * @param instance the instance id
     * @param state    holds the state; read during the call only
     * @param offset   where the state starts
     * @param length   its length in bytes, 0 or more
     * @throws IOException as {@link #save(String, int, byte[])}
     */
    public void save(String deviceId, int instance, byte[] state, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, state.length);
        save(deviceId, instance, ByteBuffer.wrap(state, offset, length));
    }

    /**
     * Saves a device's state from a buffer: the bytes between its position and limit. The buffer's
     * position and limit are not changed; it is read during the call only. As
     * {@link #save(String, int, byte[])}.
     *
     * @param deviceId the device id
     * @param instance the instance id
     * @param state    the state; owned by the caller, read during the call only
     * @throws IOException as {@link #save(String, int, byte[])}
     */
    public void save(String deviceId, int instance, ByteBuffer state) throws IOException {
        ByteBuffer src = state.duplicate();
        Sink sink = sink(deviceId, instance, src.remaining());
        try {
            sink.write(src);
            sink.commit();
        } finally {
            sink.release();
        }
    }

    /**
     * Saves a device's state read from a stream until its end, for states too large to hold in
     * memory. Reads on the calling thread; does not close the stream. As
     * {@link #save(String, int, byte[])}; a failure of the stream leaves the device incomplete.
     *
     * @param deviceId the device id
     * @param instance the instance id
     * @param in       the state; owned by the caller
     * @return the number of bytes saved
     * @throws IOException the stream's failure, or as {@link #save(String, int, byte[])}
     */
    public long save(String deviceId, int instance, InputStream in) throws IOException {
        Objects.requireNonNull(in, "in");
        Sink sink = sink(deviceId, instance, -1);
        try {
            byte[] chunk = new byte[Math.min(READ_CHUNK, maxBufferLength)];
            int n;
            while ((n = in.read(chunk)) >= 0) {
                sink.write(chunk, 0, n);
            }
            sink.commit();
            return sink.total;
        } finally {
            sink.release();
        }
    }

    /**
     * Saves a device's state that a producer writes, in chunks of any size, into an
     * {@link OutputStream}: the streaming variant for huge states, without an intermediate copy
     * of the whole state. The stream is valid only during {@link StateWriter#writeTo(OutputStream)};
     * closing it is allowed and does nothing. When {@code writeTo} returns normally, the last
     * buffer is sent; when it throws, the device is left incomplete and the exception propagates.
     *
     * @param deviceId the device id
     * @param instance the instance id
     * @param writer   writes the state, on the calling thread
     * @return the number of bytes saved
     * @throws IOException the producer's failure, or as {@link #save(String, int, byte[])}
     */
    public long save(String deviceId, int instance, StateWriter writer) throws IOException {
        Objects.requireNonNull(writer, "writer");
        Sink sink = sink(deviceId, instance, -1);
        try {
            writer.writeTo(sink);
            sink.commit();
            return sink.total;
        } finally {
            sink.release();
        }
    }

    /** Devices whose state was saved completely by this saver. */
    public long devicesSaved() {
        return devices.sum();
    }

    /** Buffers (packets) handed to channels by this saver. */
    public long buffersSent() {
        return buffers.sum();
    }

    /** State bytes handed to channels by this saver. */
    public long bytesSent() {
        return bytes.sum();
    }

    private Sink sink(String deviceId, int instance, long sizeHint) {
        byte[] id = DeviceStateWire.encodeId(deviceId, maxIdLength);
        DeviceKey key = new DeviceKey(deviceId, instance);
        SendData slot = freeSlots.poll();
        if (slot == null) {
            slot = session.newSlot();
        }
        if (!saved.add(key)) {
            freeSlots.offer(slot);
            throw new IllegalStateException("device " + key + " was already saved in this session");
        }
        return new Sink(slot, id, deviceId, instance, sizeHint);
    }

    /**
     * Writes the state of one device, produced in chunks.
     */
    @FunctionalInterface
    public interface StateWriter {

        /**
         * Writes the whole state, then returns.
         *
         * @param out where to write; copies the bytes into slot buffers and sends each full one.
         *            Valid during this call only, on the calling thread.
         * @throws IOException to give up; the device is left incomplete
         */
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * One save in progress: fills the slot's body and sends it each time it is full and more
     * bytes come (so the last buffer is known when the producer ends). Confined to the saving
     * thread.
     */
    private final class Sink extends OutputStream {
        private final byte[] id;
        private final String idString;
        private final int instance;
        private SendData slot;
        private DeviceStateBody body;
        private int index;
        private long total;
        private long remainingHint;
        private boolean done;

        Sink(SendData slot, byte[] id, String idString, int instance, long sizeHint) {
            this.slot = slot;
            this.id = id;
            this.idString = idString;
            this.instance = instance;
            this.remainingHint = sizeHint;
        }

        @Override
        public void write(int b) throws IOException {
            checkOpen();
            if (body != null && body.room(maxBufferLength) == 0) {
                send(false);
            }
            if (body == null) {
                startBody();
            }
            body.reserve(1, 0, maxBufferLength);
            body.data.put((byte) b);
            total++;
        }

        private void checkOpen() throws IOException {
            if (done) {
                throw new IOException("device-state: the stream of device " + DeviceStateWire.deviceName(idString, instance)
                        + " is used after its save ended");
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            write(ByteBuffer.wrap(b, off, len));
        }

        /** Copies the source's remaining bytes (advancing its position). */
        void write(ByteBuffer src) throws IOException {
            checkOpen();
            while (src.hasRemaining()) {
                if (body != null && body.room(maxBufferLength) == 0) {
                    send(false);
                }
                if (body == null) {
                    startBody();
                }
                int n = Math.min(src.remaining(), body.room(maxBufferLength));
                int hint = (int) Math.min(maxBufferLength, remainingHint < 0 ? 0 : remainingHint);
                body.reserve(n, hint, maxBufferLength);
                ByteBuffer chunk = src.duplicate();
                chunk.limit(chunk.position() + n);
                body.data.put(chunk);
                src.position(src.position() + n);
                total += n;
                if (remainingHint > 0) {
                    remainingHint -= n;
                }
            }
        }

        private void startBody() {
            if (index < 0) {
                throw new IllegalArgumentException("device-state: the state of device "
                        + DeviceStateWire.deviceName(idString, instance) + " needs more than 2^31 buffers");
            }
            body = slot.fill(plugin);
            body.start(id, idString, instance, index);
        }

        private void send(boolean last) throws IOException {
            body.seal(last);
            int length = body.length();
            body = null;
            SendData filled = slot;
            try {
                slot = session.send(filled);
            } catch (IOException | RuntimeException | Error e) {
                // send() did not swap: the filled slot is still ours; empty it for the pool.
                filled.clear();
                throw e;
            }
            index++;
            buffers.increment();
            bytes.add(length);
        }

        /** Sends the last buffer (empty if nothing was written). */
        void commit() throws IOException {
            if (body == null) {
                startBody();
            }
            send(true);
            done = true;
            devices.increment();
        }

        /** The producer may close the stream: nothing happens, the save ends when it returns. */
        @Override
        public void close() {
        }

        /** Ends the save: returns the slot to the pool, emptied if a failure left it filled. */
        void release() {
            done = true;
            body = null;
            if (slot != null) {
                slot.clear();
                freeSlots.offer(slot);
                slot = null;
            }
        }
    }
}
