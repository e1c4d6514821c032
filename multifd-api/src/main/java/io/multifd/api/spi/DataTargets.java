package io.multifd.api.spi;

import java.nio.ByteBuffer;

/**
 * Where a packet's data goes: the destination buffers a {@link PayloadChannelReceiver} names,
 * filled by the core in the order added. Owned by the core, reused per packet.
 */
public interface DataTargets {

    /**
     * Adds a destination. The core fills it from its position to its limit (advancing the
     * position); the buffer stays owned by the receiver, which must not touch it until
     * {@link PayloadChannelReceiver#end(IncomingPacket)}.
     *
     * @param target a buffer with remaining space; may be a view of destination memory
     */
    void add(ByteBuffer target);
}
