package io.multifd.devicestate;

import io.multifd.api.spi.OutgoingPacket;
import io.multifd.api.spi.PayloadEncoder;
import io.multifd.devicestate.internal.DeviceStateWire;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Turns a {@link DeviceStateBody} into a packet: the payload header, then the body's sealed data
 * buffer as the packet data, without copying. Confined to one sending channel thread; stateless.
 */
final class DeviceStateEncoder implements PayloadEncoder<DeviceStateBody> {

    @Override
    public void prepare(DeviceStateBody body, OutgoingPacket packet) throws IOException {
        if (body.id == null) {
            throw new IOException("device-state: empty body handed to a channel");
        }
        ByteBuffer header = packet.header();
        int headerLength = DeviceStateWire.FIXED_HEADER_LENGTH + body.id.length;
        if (header.remaining() < headerLength) {
            throw new IOException("device-state: payload header of " + headerLength
                    + " bytes does not fit the max payload header length " + header.capacity());
        }
        DeviceStateWire.putHeader(header, body.id, body.instance, body.index, body.last);
        int length = body.length();
        if (length > 0) {
            // The sealed buffer is [0, length); the core reads it without moving position or limit.
            packet.addData(body.data);
        }
        packet.countItems(1, 0);
    }
}
