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
import java.nio.ByteBuffer;

/**
 * Decodes the data of packets on one receiving channel. Confined to that channel's thread; made at
 * setup, closed at teardown. Only packets that were encoded reach it (raw packets are read
 * straight into the targets).
 *
 * <p><b>Received bytes are hostile.</b> Output never exceeds {@code rawLength}, which the core
 * has already checked against the configured cap; nothing may be allocated from sizes that a
 * codec header claims; garbage, truncation, a bomb or a mismatch between the decoded and the
 * announced length is refused with
 * {@link IncomingPacket#malformed(String, Object, String)}, never a crash or an overrun.
 */
public interface CodecDecoder extends AutoCloseable {

    /**
     * Returns the buffer the core reads the encoded bytes into: owned by this decoder, made at
     * setup with capacity for the largest packet, cleared, with limit {@code encodedLength}.
     * The core fills it to its limit and flips nothing: the decoder reads {@code [0, limit)}.
     *
     * @param encodedLength bytes to be read, already checked to be below the raw length and the cap
     * @return the input buffer
     */
    ByteBuffer inputBuffer(int encodedLength);

    /**
     * Decodes the input buffer's bytes {@code [0, limit)} into the targets.
     *
     * @param input       the buffer returned by {@link #inputBuffer(int)}, filled
     * @param targets     destination buffers, each to be filled from position to limit; owned by
     *                    the payload receiver
     * @param offset      index of the first target
     * @param count       number of targets
     * @param rawLength   total bytes the targets must receive: exactly this many
     * @param streamReset the RESET flag: restart stream state before decoding
     * @param packet      the packet, for error messages
     * @throws IOException a {@link io.multifd.api.MalformedPacketException} naming the field
     *                     {@code data} for bad input; this fails the migration
     */
    void decode(ByteBuffer input, ByteBuffer[] targets, int offset, int count, int rawLength,
                boolean streamReset, IncomingPacket packet) throws IOException;

    /** Frees native contexts and buffers. Called once, on the channel thread. */
    @Override
    void close();
}
