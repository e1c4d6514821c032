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
