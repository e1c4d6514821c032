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

import io.multifd.api.MalformedPacketException;
import io.multifd.api.spi.CodecContext;
import io.multifd.api.spi.CodecDecoder;
import io.multifd.api.spi.IncomingPacket;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * What the three decoders share: the input buffer, the argument checks and the rule that the
 * output is exactly the announced raw length.
 *
 * <h2>Buffers</h2>
 * {@link #input} is a direct buffer of {@link CodecContext#maxDataLength()} bytes made at setup;
 * the core reads a packet's encoded bytes into it. A block codec that cannot write into the
 * targets directly decodes into {@link #scratch} (same size, made at setup, only by codecs that
 * need it) and copies out. No buffer is ever sized from a length found in received bytes: the
 * largest output is the packet's raw length, which the core has checked against the same cap.
 *
 * <h2>Targets</h2>
 * The targets {@code targets[offset .. offset+count)} must have exactly {@code rawLength}
 * remaining bytes in all. Each is filled from its position to its limit and its position is
 * advanced to its limit, as the core does for raw data. They stay owned by the payload
 * receiver. On failure a target may hold partly decoded bytes within its range; nothing is ever
 * written outside {@code [position, limit)} of any target.
 *
 * <p>Confined to one channel thread. {@link #close()} is idempotent; use after close throws
 * {@link IllegalStateException}.
 */
public abstract class AbstractPacketDecoder implements CodecDecoder {

    /** The codec's name, for messages. */
    protected final String codec;
    /** The largest raw or encoded length, from {@link CodecContext#maxDataLength()}. */
    protected final int maxDataLength;
    /** Where the core puts the encoded bytes, {@code [0, limit)}; owned by this decoder. */
    protected final ByteBuffer input;
    /** Decoding space for codecs that need contiguous output, or {@code null}; owned by this decoder. */
    protected final ByteBuffer scratch;

    private boolean closed;

    /**
     * Makes the per-channel buffers.
     *
     * @param codec       the codec's name
     * @param context     the channel's limits
     * @param needScratch true to make {@link #scratch}
     */
    protected AbstractPacketDecoder(String codec, CodecContext context, boolean needScratch) {
        this.codec = Objects.requireNonNull(codec, "codec");
        this.maxDataLength = context.maxDataLength();
        if (maxDataLength <= 0) {
            throw new IllegalArgumentException(codec + ": maxDataLength must be positive: " + maxDataLength);
        }
        this.input = ByteBuffer.allocateDirect(maxDataLength);
        this.scratch = needScratch ? ByteBuffer.allocateDirect(maxDataLength) : null;
    }

    /**
     * Returns {@link #input}, cleared, with limit {@code encodedLength}. Owned by this decoder;
     * the core fills {@code [0, encodedLength)} and then calls {@link #decode}.
     *
     * @param encodedLength bytes the core will read, 0 to {@link CodecContext#maxDataLength()}
     * @return the input buffer
     * @throws IllegalArgumentException if {@code encodedLength} is out of range (the core checks
     *                                  it against the same cap first)
     */
    @Override
    public final ByteBuffer inputBuffer(int encodedLength) {
        checkOpen();
        if (encodedLength < 0 || encodedLength > input.capacity()) {
            throw new IllegalArgumentException(codec + ": encoded length " + encodedLength + " is not within 0 to "
                    + input.capacity());
        }
        input.clear().limit(encodedLength);
        return input;
    }

    /**
     * Decodes {@code input[0, limit)} into the targets; see {@link CodecDecoder#decode}. Every
     * packet is an independent unit, so {@code streamReset} needs no action.
     *
     * @throws MalformedPacketException naming the field {@code data}, for input that does not
     *                                  decode to exactly {@code rawLength} bytes
     * @throws IllegalArgumentException if the targets do not hold {@code rawLength} bytes, one is
     *                                  read-only, or {@code input} is not this decoder's buffer
     */
    @Override
    public final void decode(ByteBuffer input, ByteBuffer[] targets, int offset, int count, int rawLength,
                             boolean streamReset, IncomingPacket packet) throws IOException {
        checkOpen();
        if (input != this.input) {
            throw new IllegalArgumentException(codec + ": input is not the buffer returned by inputBuffer()");
        }
        if (rawLength <= 0 || rawLength > maxDataLength) {
            throw packet.malformed("raw length", rawLength, codec + ": not within 1 to " + maxDataLength);
        }
        long room;
        try {
            room = Buffers.writableRemaining(targets, offset, count);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(codec + ": " + e.getMessage(), e);
        }
        if (room != rawLength) {
            throw new IllegalArgumentException(codec + ": targets hold " + room + " bytes, not the raw length "
                    + rawLength);
        }
        int encodedLength = input.limit();
        if (encodedLength == 0) {
            throw packet.malformed("data", 0, codec + ": no encoded bytes for a raw length of " + rawLength);
        }
        decodePacket(encodedLength, targets, offset, count, rawLength, packet);
    }

    /**
     * Decodes {@code input[0, encodedLength)} into the targets, filling exactly
     * {@code rawLength} bytes and advancing their positions, or throws.
     *
     * @param encodedLength bytes of input, at least 1
     * @param targets       the targets, with exactly {@code rawLength} remaining bytes in all
     * @param offset        index of the first target
     * @param count         number of targets
     * @param rawLength     bytes to produce
     * @param packet        the packet, for error messages
     * @throws MalformedPacketException if the input is not a valid encoding of exactly
     *                                  {@code rawLength} bytes
     */
    protected abstract void decodePacket(int encodedLength, ByteBuffer[] targets, int offset, int count,
                                         int rawLength, IncomingPacket packet) throws MalformedPacketException;

    /**
     * Builds the exception for data that does not decode.
     *
     * @param packet        the packet
     * @param encodedLength the encoded length, reported as the field's value
     * @param reason        why, without the codec's name
     * @param cause         the codec's own exception (kept as a suppressed exception), or {@code null}
     * @return the exception to throw
     */
    protected final MalformedPacketException malformed(IncomingPacket packet, int encodedLength, String reason,
                                                       Throwable cause) {
        MalformedPacketException e = packet.malformed("data", encodedLength, codec + ": " + reason);
        if (cause != null) {
            e.addSuppressed(cause);
        }
        return e;
    }

    /**
     * The error for output of the wrong length.
     *
     * @param packet        the packet
     * @param encodedLength the encoded length
     * @param decoded       bytes the input decoded to
     * @param rawLength     the packet's raw length
     * @return the exception to throw
     */
    protected final MalformedPacketException wrongLength(IncomingPacket packet, int encodedLength, long decoded,
                                                         int rawLength) {
        return malformed(packet, encodedLength, "decodes to " + decoded + " bytes, but the packet's raw length is "
                + rawLength, null);
    }

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

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException(codec + ": decoder is closed");
        }
    }
}
