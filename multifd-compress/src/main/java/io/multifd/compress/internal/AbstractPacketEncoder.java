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
package io.multifd.compress.internal;

import io.multifd.api.spi.CodecContext;
import io.multifd.api.spi.CodecEncoder;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * What the three encoders share: each packet is compressed on its own, from a stable copy.
 *
 * <h2>Per packet</h2>
 * <ol>
 *   <li>The packet's data buffers are copied once into {@link #staging}, a direct buffer of
 *       {@link CodecContext#maxDataLength()} bytes made at setup. The data may be live memory that
 *       another thread writes meanwhile; the codec then reads a copy that cannot change under it
 *       (the receiver gets some version of each page, as with raw data, and a page written
 *       meanwhile is dirty and sent again). The copy also joins many page buffers into one
 *       contiguous block, which block compressors need. It reads each source byte once and
 *       leaves the sources' positions and limits as they were.</li>
 *   <li>The subclass compresses {@code staging[0, rawLength)} into {@link #output}, a direct
 *       buffer made at setup and sized for the codec's worst case of the largest packet.</li>
 *   <li>If the result is shorter than the raw data, {@code output} (position 0, limit the
 *       encoded length) goes to the sink; it stays unchanged until the next {@code encode}.
 *       Otherwise {@code encode} returns false and the data travels raw. Every packet is
 *       independent, so no stream state has to be restarted and the sink never gets
 *       {@code streamReset = true}.</li>
 * </ol>
 * Nothing is allocated per packet.
 *
 * <p>Confined to one channel thread, like every {@link CodecEncoder}. {@link #close()} is
 * idempotent; {@code encode} after close throws {@link IllegalStateException}.
 */
public abstract class AbstractPacketEncoder implements CodecEncoder {

    /** The codec's name, for messages. */
    protected final String codec;
    /** The largest raw length accepted, from {@link CodecContext#maxDataLength()}. */
    protected final int maxDataLength;
    /** The stable copy of the current packet's data, {@code [0, rawLength)}; owned by this encoder. */
    protected final ByteBuffer staging;
    /** The encoded bytes of the current packet, from index 0; owned by this encoder. */
    protected final ByteBuffer output;

    private boolean closed;

    /**
     * Makes the per-channel buffers.
     *
     * @param codec          the codec's name
     * @param context        the channel's limits
     * @param outputCapacity the capacity of {@link #output}: the codec's bound for
     *                       {@code context.maxDataLength()} input bytes
     */
    protected AbstractPacketEncoder(String codec, CodecContext context, int outputCapacity) {
        this.codec = Objects.requireNonNull(codec, "codec");
        this.maxDataLength = context.maxDataLength();
        if (maxDataLength <= 0) {
            throw new IllegalArgumentException(codec + ": maxDataLength must be positive: " + maxDataLength);
        }
        this.staging = ByteBuffer.allocateDirect(maxDataLength);
        this.output = ByteBuffer.allocateDirect(outputCapacity);
    }

    /**
     * Encodes one packet, or declines so that it travels raw. See {@link CodecEncoder#encode}.
     *
     * @param data      the data buffers, owned by the payload encoder; read only between their
     *                  positions and limits, which are unchanged on return
     * @param offset    index of the first buffer
     * @param count     number of buffers
     * @param rawLength total bytes in them, 1 to {@link CodecContext#maxDataLength()}
     * @param sink      receives {@link #output} if the data shrank
     * @return true if encoded, false to send raw
     * @throws IOException              if the codec failed
     * @throws IllegalArgumentException if the buffers do not hold {@code rawLength} bytes, or it is
     *                                  out of range
     * @throws IllegalStateException    if closed
     */
    @Override
    public final boolean encode(ByteBuffer[] data, int offset, int count, int rawLength, EncodeSink sink)
            throws IOException {
        if (closed) {
            throw new IllegalStateException(codec + ": encoder is closed");
        }
        if (rawLength <= 0 || rawLength > maxDataLength) {
            throw new IllegalArgumentException(codec + ": raw length " + rawLength + " is not within 1 to "
                    + maxDataLength);
        }
        staging.clear();
        output.clear();
        Buffers.gather(data, offset, count, rawLength, staging);
        int n = compress(rawLength);
        if (n <= 0 || n >= rawLength) {
            return false;
        }
        output.limit(n).position(0);
        sink.encoded(output, false);
        return true;
    }

    /**
     * Compresses {@code staging[0, rawLength)} into {@code output} from index 0. Both buffers
     * are cleared (position 0, limit capacity) on entry; the subclass may move either.
     *
     * @param rawLength bytes to compress, at least 1
     * @return the encoded length, or -1 if the result would not be shorter than
     *         {@code rawLength}
     * @throws IOException if the codec failed
     */
    protected abstract int compress(int rawLength) throws IOException;

    /** Frees the codec's native state. Called once by {@link #close()}. */
    protected abstract void release();

    /** Frees the codec's native state. Idempotent; on the channel thread. */
    @Override
    public final void close() {
        if (!closed) {
            closed = true;
            release();
        }
    }
}
