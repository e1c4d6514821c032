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
 * Encodes the data of packets on one sending channel. Confined to that channel's thread; made at
 * setup, closed at teardown.
 */
public interface CodecEncoder extends AutoCloseable {

    /**
     * Encodes one packet's data, or declines so that it travels raw.
     *
     * <p>The data is {@code data[offset .. offset+count)}, each buffer's bytes from position to
     * limit, {@code rawLength} bytes in all (at least 1). The buffers belong to the payload
     * encoder; they may be views of live memory that another thread changes meanwhile, so read
     * each byte once, or first copy into a buffer of your own. On return each buffer's position
     * and limit must be what they were on entry.
     *
     * <p>If the output is shorter than {@code rawLength}, pass it to {@code sink} and return
     * true; the core sends it instead of the data. Otherwise return false without calling
     * {@code sink}: the data travels raw with the RAW flag. An encoder that keeps a stream across
     * packets must then restart its stream, and mark the next packet it encodes as a
     * {@code streamReset}, so that the two ends never desynchronize.
     *
     * @param data      the data buffers
     * @param offset    index of the first buffer
     * @param count     number of buffers
     * @param rawLength total bytes remaining in them
     * @param sink      receives the encoded bytes
     * @return true if encoded, false to send raw
     * @throws IOException if the codec failed; this fails the migration
     */
    boolean encode(ByteBuffer[] data, int offset, int count, int rawLength, EncodeSink sink) throws IOException;

    /** Frees native contexts and buffers. Called once, on the channel thread. */
    @Override
    void close();

    /**
     * Receives an encoder's output. Implemented by the core.
     */
    interface EncodeSink {
        /**
         * @param encoded     the encoded bytes between position and limit; owned by the encoder,
         *                    read by the core until the packet is written; must stay unchanged
         *                    until the next {@code encode} call
         * @param streamReset true if the decoder must restart its stream state before decoding
         *                    this packet (sent as the RESET flag)
         */
        void encoded(ByteBuffer encoded, boolean streamReset);
    }
}
