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

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/** CRC32C helpers that leave buffer positions alone. Each instance is confined to one thread. */
public final class Crc {

    private final CRC32C crc = new CRC32C();

    /**
     * CRC32C of {@code buf[from, to)}; the buffer's position and limit are unchanged.
     *
     * @param buf  the buffer
     * @param from first index
     * @param to   end index
     * @return the CRC as an unsigned 32-bit value in an int
     */
    public int of(ByteBuffer buf, int from, int to) {
        crc.reset();
        update(buf, from, to);
        return (int) crc.getValue();
    }

    /** Starts a running CRC. */
    public void reset() {
        crc.reset();
    }

    /**
     * Adds {@code buf[from, to)} to the running CRC; position and limit are unchanged.
     *
     * @param buf  the buffer
     * @param from first index
     * @param to   end index
     */
    public void update(ByteBuffer buf, int from, int to) {
        int pos = buf.position();
        int lim = buf.limit();
        if (to > lim) {
            buf.limit(to);
            buf.position(from);
        } else {
            buf.position(from);
            buf.limit(to);
        }
        crc.update(buf);
        buf.limit(lim);
        buf.position(pos);
    }

    /** The running CRC's value. */
    public int value() {
        return (int) crc.getValue();
    }

    /** One-shot CRC32C of a whole array range, allocating a checksum object: not for hot paths. */
    public static int ofArray(byte[] b, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(b, off, len);
        return (int) c.getValue();
    }
}
