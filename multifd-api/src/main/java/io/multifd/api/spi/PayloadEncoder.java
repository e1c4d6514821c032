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
 * Turns a body into one packet, on one sending channel. Confined to that channel's thread: the
 * core makes it when the channel starts and closes it when the channel ends.
 *
 * @param <B> the payload's body type
 */
public interface PayloadEncoder<B> extends AutoCloseable {

    /**
     * Describes the packet for this body: the payload header bytes and the data buffers.
     *
     * <p>Runs on the channel thread, which owns the body during the call (and until the packet is
     * written and the slot reset). This is where work that should be spread over channels
     * belongs: RAM finds zero pages here. The encoder writes its payload header into
     * {@link OutgoingPacket#header()} and adds the data with
     * {@link OutgoingPacket#addData(java.nio.ByteBuffer)}, without copying: views of the body's
     * memory, made once and re-positioned, so that nothing is allocated per packet.
     *
     * @param body   the body to send; owned by the channel thread
     * @param packet where to describe the packet; owned by the core, valid during this call
     * @throws IOException if the body cannot be sent; this fails the migration
     */
    void prepare(B body, OutgoingPacket packet) throws IOException;

    /** Releases what the encoder holds. Called once, on the channel thread, when the channel ends. */
    @Override
    default void close() {
    }
}
