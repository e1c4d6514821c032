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
package io.multifd.api.spi;

import java.io.IOException;

/**
 * Applies the packets of one payload type arriving on one channel. Confined to that channel's
 * thread.
 *
 * <p>For each packet the core calls {@link #begin(IncomingPacket, DataTargets)} with the payload
 * header, fills the targets it names with exactly {@link IncomingPacket#rawLength()} data bytes
 * (reading straight from the channel when the data is raw, or through the codec), verifies the
 * data CRC if there is one, and calls {@link #end(IncomingPacket)}.
 *
 * <p><b>Never block on another channel.</b> A channel thread must not wait for data that another
 * channel has to deliver: the sync barrier holds channels back, so such a wait could deadlock.
 * Waiting for a consumer of this payload's own (back-pressure) is allowed if that consumer
 * cannot itself wait for channel data.
 */
public interface PayloadChannelReceiver extends AutoCloseable {

    /**
     * Validates the payload header and names where the data goes.
     *
     * <p>Everything in the header is untrusted: check every count, offset, index and name
     * against receiver-owned sizes before writing anything (throw with
     * {@link IncomingPacket#malformed(String, Object, String)}). Then add targets whose remaining
     * bytes total exactly {@link IncomingPacket#rawLength()}.
     *
     * @param packet  the packet: its header fields and the payload header bytes (read-only, owned
     *                by the core, valid until {@link #end(IncomingPacket)})
     * @param targets where to add the destination buffers; the core fills each from its position
     *                to its limit. The buffers stay owned by this receiver.
     * @throws IOException a {@link io.multifd.api.MalformedPacketException} for bad input, or any
     *                     failure; either fails the migration
     */
    void begin(IncomingPacket packet, DataTargets targets) throws IOException;

    /**
     * The targets are filled (and the data CRC, if any, verified). Commit the packet.
     *
     * @param packet the same packet
     * @throws IOException if the packet cannot be applied; this fails the migration
     */
    default void end(IncomingPacket packet) throws IOException {
    }

    /** Releases what the receiver holds. Called once, on the channel thread, when the channel ends. */
    @Override
    default void close() {
    }
}
