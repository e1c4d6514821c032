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

import io.multifd.api.spi.OutgoingPacket;
import io.multifd.api.spi.PayloadEncoder;
import io.multifd.devicestate.DeviceStateBody;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Turns a {@link DeviceStateBody} into a packet: the payload header, then the body's sealed data
 * buffer as the packet data, without copying. Confined to one sending channel thread; stateless.
 */
public final class DeviceStateEncoder implements PayloadEncoder<DeviceStateBody> {

    private static final BodyAccess ACCESS = BodyAccess.get();

    /** Makes a channel's encoder. */
    public DeviceStateEncoder() {
    }

    @Override
    public void prepare(DeviceStateBody body, OutgoingPacket packet) throws IOException {
        byte[] id = ACCESS.idBytes(body);
        if (id == null) {
            throw new IOException("device-state: empty body handed to a channel");
        }
        ByteBuffer header = packet.header();
        int headerLength = DeviceStateWire.FIXED_HEADER_LENGTH + id.length;
        if (header.remaining() < headerLength) {
            throw new IOException("device-state: payload header of " + headerLength
                    + " bytes does not fit the max payload header length " + header.capacity());
        }
        DeviceStateWire.putHeader(header, id, body.instance(), body.index(), body.last());
        int length = body.length();
        if (length > 0) {
            // The sealed buffer is [0, length); the core reads it without moving position or limit.
            // Sealed means stable: nobody writes it until the packet is out, so it is checksummed.
            packet.addStableData(ACCESS.data(body));
        }
        packet.countItems(1, 0);
    }
}
