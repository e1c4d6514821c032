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
package io.multifd.core.wire;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Where message decoders read from: a channel's inbound stream (with timeouts and offsets), or
 * a byte array in tests. Confined to one thread.
 */
public interface ByteSource {

    /**
     * Fills {@code dst} from its position to its limit.
     *
     * @param dst  the buffer to fill
     * @param what what is being read, for messages ("packet header")
     * @throws IOException an {@link java.io.EOFException} naming {@code what} and the offset if
     *                     the stream ends first, a timeout, or a transport error
     */
    void readFully(ByteBuffer dst, String what) throws IOException;

    /** Bytes consumed so far: the stream offset of the next byte. */
    long offset();

    /** The channel id, or -1 if not known yet. */
    int channel();

    /** A source over a byte array, for tests and tools. */
    static ByteSource of(byte[] bytes, int channel) {
        ByteBuffer src = ByteBuffer.wrap(bytes);
        return new ByteSource() {
            @Override
            public void readFully(ByteBuffer dst, String what) throws IOException {
                if (src.remaining() < dst.remaining()) {
                    throw new java.io.EOFException("end of stream at offset " + src.position()
                            + " while reading " + what);
                }
                int n = dst.remaining();
                dst.put(dst.position(), src, src.position(), n);
                dst.position(dst.position() + n);
                src.position(src.position() + n);
            }

            @Override
            public long offset() {
                return src.position();
            }

            @Override
            public int channel() {
                return channel;
            }
        };
    }
}
