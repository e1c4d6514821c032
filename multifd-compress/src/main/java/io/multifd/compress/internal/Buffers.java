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

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * Copies between the caller's buffer arrays and a codec's own contiguous buffers without
 * allocating: absolute bulk copies ({@link ByteBuffer#put(int, ByteBuffer, int, int)}), no
 * duplicates or slices. Stateless.
 */
public final class Buffers {

    private Buffers() {
    }

    /**
     * Sums the remaining bytes of targets that a decoder will write, refusing read-only ones
     * (a native decoder would otherwise write into memory the caller marked read-only).
     *
     * @param targets the targets
     * @param offset  index of the first
     * @param count   how many
     * @return the total
     * @throws IllegalArgumentException if a target is read-only
     */
    public static long writableRemaining(ByteBuffer[] targets, int offset, int count) {
        Objects.checkFromIndexSize(offset, count, targets.length);
        long total = 0;
        for (int i = offset; i < offset + count; i++) {
            ByteBuffer t = targets[i];
            if (t.isReadOnly()) {
                throw new IllegalArgumentException("target " + (i - offset) + " is read-only");
            }
            total += t.remaining();
        }
        return total;
    }

    /**
     * Copies the remaining bytes of {@code src[offset .. offset+count)} into {@code dst} from
     * index 0, reading each source byte exactly once. The sources' positions and limits are not
     * changed; {@code dst}'s position and limit are not changed either.
     *
     * @param src      the source buffers (may be views of live memory)
     * @param offset   index of the first
     * @param count    how many
     * @param expected the number of bytes they must hold in all
     * @param dst      the destination, whose limit is at least {@code expected}
     * @throws IllegalArgumentException if the sources do not hold exactly {@code expected} bytes,
     *                                  or {@code dst} is too small; nothing beyond {@code expected}
     *                                  bytes is written
     */
    public static void gather(ByteBuffer[] src, int offset, int count, int expected, ByteBuffer dst) {
        Objects.checkFromIndexSize(offset, count, src.length);
        if (expected > dst.limit()) {
            throw new IllegalArgumentException("raw length " + expected + " exceeds the buffer's limit "
                    + dst.limit());
        }
        int at = 0;
        for (int i = offset; i < offset + count; i++) {
            ByteBuffer b = src[i];
            int n = b.remaining();
            if (n > expected - at) {
                throw new IllegalArgumentException("data buffers hold more than the raw length " + expected);
            }
            dst.put(at, b, b.position(), n);
            at += n;
        }
        if (at != expected) {
            throw new IllegalArgumentException("data buffers hold " + at + " bytes, not the raw length " + expected);
        }
    }

    /**
     * Copies {@code src[from .. from+length)} into the targets in order, filling each from its
     * position to its limit and advancing its position. {@code src}'s position and limit are not
     * changed.
     *
     * @param src     the source
     * @param from    the first index to copy from
     * @param targets the targets, whose remaining bytes total {@code length} (checked by the caller)
     * @param offset  index of the first target
     * @param count   number of targets
     */
    public static void scatter(ByteBuffer src, int from, ByteBuffer[] targets, int offset, int count) {
        int at = from;
        for (int i = offset; i < offset + count; i++) {
            ByteBuffer t = targets[i];
            int p = t.position();
            int n = t.limit() - p;
            t.put(p, src, at, n);
            t.position(p + n);
            at += n;
        }
    }
}
