package io.multifd.compress;

import io.multifd.api.spi.CodecEncoder;

import java.nio.ByteBuffer;

/** Records what an encoder hands over, without allocating. */
final class CapturingSink implements CodecEncoder.EncodeSink {

    ByteBuffer encoded;
    int calls;
    int resets;

    @Override
    public void encoded(ByteBuffer encoded, boolean streamReset) {
        this.encoded = encoded;
        calls++;
        if (streamReset) {
            resets++;
        }
    }

    void clear() {
        encoded = null;
    }

    /** A copy of the encoded bytes between position and limit. */
    byte[] bytes() {
        byte[] b = new byte[encoded.remaining()];
        encoded.duplicate().get(b);
        return b;
    }
}
