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

import io.multifd.devicestate.internal.BodyAccess;
import io.multifd.devicestate.internal.DeviceStateWire;

import java.nio.ByteBuffer;

/**
 * The slot body of the device-state payload: one buffer of one device's state, on its way from a
 * {@link DeviceStateSaver} to a channel.
 *
 * <p>Opaque to users: only the saver fills it and only the channel's encoder reads it; the
 * accessors exist for diagnostics. It follows the ownership of its {@link io.multifd.api.SendData}
 * slot: the saver's thread while it fills the slot, the channel thread from {@code send} until
 * the packet is written and the slot cleared. Not thread-safe. The data buffer is made once per
 * body (grown up to the saver's maximum buffer length) and kept across {@code resetBody}, so a body
 * that was used once allocates nothing afterwards.
 */
public final class DeviceStateBody {

    static {
        BodyAccess.install(new Access());
    }

    /** Smallest capacity a data buffer is made with. */
    private static final int MIN_CAPACITY = 64 << 10;

    byte[] id;
    String idString;
    int instance;
    int index;
    boolean last;
    /** Direct buffer; while filling: position = bytes so far; once sealed: [0, length). */
    ByteBuffer data;
    private boolean sealed;

    DeviceStateBody() {
    }

    /** The device id, or {@code null} if the body is empty. */
    public String deviceId() {
        return idString;
    }

    /** The instance id (unsigned 32-bit on the wire). */
    public int instance() {
        return instance;
    }

    /** The buffer index within the device's state. */
    public int index() {
        return index;
    }

    /** Whether this is the device's last buffer. */
    public boolean last() {
        return last;
    }

    /** The number of data bytes in this buffer. */
    public int length() {
        if (data == null) {
            return 0;
        }
        return sealed ? data.limit() : data.position();
    }

    void start(byte[] id, String idString, int instance, int index) {
        this.id = id;
        this.idString = idString;
        this.instance = instance;
        this.index = index;
        this.last = false;
        this.sealed = false;
        if (data != null) {
            data.clear();
        }
    }

    /** Free space left before {@code maxLength}. */
    int room(int maxLength) {
        return maxLength - (data == null ? 0 : data.position());
    }

    /**
     * Makes sure {@code more} bytes fit, growing the buffer (at most to {@code maxLength}).
     *
     * @param more      bytes about to be put; the caller guarantees {@code length() + more <= maxLength}
     * @param hint      the total the caller expects to put into this buffer, to size it once
     * @param maxLength the saver's maximum buffer length
     */
    void reserve(int more, int hint, int maxLength) {
        int used = data == null ? 0 : data.position();
        int need = used + more;
        if (data != null && data.capacity() >= need) {
            return;
        }
        int cap = Math.max(need, Math.max(hint, MIN_CAPACITY));
        if (data != null) {
            cap = Math.max(cap, (int) Math.min(maxLength, 2L * data.capacity()));
        }
        cap = Math.min(cap, maxLength);
        ByteBuffer bigger = ByteBuffer.allocateDirect(cap);
        if (data != null) {
            data.flip();
            bigger.put(data);
        }
        data = bigger;
    }

    void seal(boolean last) {
        this.last = last;
        if (data != null) {
            data.flip();
        }
        sealed = true;
    }

    void reset() {
        id = null;
        idString = null;
        instance = 0;
        index = 0;
        last = false;
        sealed = false;
        if (data != null) {
            data.clear();
        }
    }

    /** Hands the id bytes and the data buffer to the encoder in the internal package. */
    private static final class Access extends BodyAccess {
        @Override
        public byte[] idBytes(DeviceStateBody body) {
            return body.id;
        }

        @Override
        public ByteBuffer data(DeviceStateBody body) {
            return body.data;
        }
    }

    @Override
    public String toString() {
        return idString == null ? "DeviceStateBody[empty]"
                : "DeviceStateBody[" + DeviceStateWire.deviceName(idString, instance) + ", index " + index
                + (last ? ", last" : "") + ", " + length() + " bytes]";
    }
}
