package io.multifd.testing;

import io.multifd.api.spi.CodecEncoder;

import java.nio.ByteBuffer;

/**
 * A {@link CodecEncoder.EncodeSink} that records what an encoder hands over, without allocating.
 * Confined to the thread that runs the encoder; the recorded buffer stays the encoder's.
 */
public final class CapturingSink implements CodecEncoder.EncodeSink {

    /** The last encoded buffer handed over (the encoder's), or null after {@link #clear()}. */
    public ByteBuffer encoded;
    /** How many times {@link #encoded(ByteBuffer, boolean)} was called. */
    public int calls;
    /** How many of those asked for a stream reset. */
    public int resets;

    /** Makes an empty sink. */
    public CapturingSink() {
    }

    @Override
    public void encoded(ByteBuffer encoded, boolean streamReset) {
        this.encoded = encoded;
        calls++;
        if (streamReset) {
            resets++;
        }
    }

    /** Forgets the last buffer (the counters stay). */
    public void clear() {
        encoded = null;
    }

    /** A copy of the encoded bytes between position and limit. */
    public byte[] bytes() {
        byte[] b = new byte[encoded.remaining()];
        encoded.duplicate().get(b);
        return b;
    }
}
