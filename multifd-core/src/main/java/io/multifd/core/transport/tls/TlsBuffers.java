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
package io.multifd.core.transport.tls;

import java.nio.ByteBuffer;

/**
 * {@link TlsChannel}'s buffer arithmetic: growing a buffer that JSSE found too small, and
 * counting what an array of buffers holds. Stateless; any thread. A grown buffer replaces the
 * old one, which its owner (the side of the channel that held the old one) drops.
 */
final class TlsBuffers {

    private TlsBuffers() {
    }

    /** A direct buffer at least twice as large holding {@code writeMode}'s bytes, in write mode. */
    static ByteBuffer grow(ByteBuffer writeMode, int atLeast) {
        ByteBuffer b = ByteBuffer.allocateDirect(Math.max(atLeast, writeMode.capacity() * 2));
        writeMode.flip();
        b.put(writeMode);
        return b;
    }

    /** A buffer of the same kind, at least twice as large, holding {@code readMode}'s unread bytes, in read mode. */
    static ByteBuffer growRead(ByteBuffer readMode, int atLeast) {
        int size = Math.max(atLeast, readMode.capacity() * 2);
        ByteBuffer b = readMode.isDirect() ? ByteBuffer.allocateDirect(size) : ByteBuffer.allocate(size);
        b.put(readMode);
        return b.flip();
    }

    /** Bytes remaining in {@code bufs[offset .. offset + length)}. */
    static long remaining(ByteBuffer[] bufs, int offset, int length) {
        long n = 0;
        for (int i = offset; i < offset + length; i++) {
            n += bufs[i].remaining();
        }
        return n;
    }
}
