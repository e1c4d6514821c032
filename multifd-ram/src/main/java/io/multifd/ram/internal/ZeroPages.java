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
package io.multifd.ram.internal;

import java.nio.ByteBuffer;

/**
 * Zero-page detection: tells whether a range of a buffer holds only zero bytes.
 *
 * <p>First a spot check of the first 8 bytes (most non-zero pages fail there), then
 * {@link ByteBuffer#mismatch(ByteBuffer)} against a shared zero buffer, which the JIT compiles to
 * its vectorized mismatch intrinsic (AVX2 on x86, NEON on AArch64) and which stops at the first
 * difference. Ranges longer than the zero buffer are compared chunk by chunk. The spot check
 * used to read the middle and the last byte too (as QEMU's {@code buffer_is_zero} does): two
 * more cache lines per page, fetched from memory out of order before the copy that reads the
 * page from its start; the migration of a mixed image was faster without them (measured in the
 * performance notes, section 12.10).
 *
 * <p>Two forms: the static {@link #isZero(ByteBuffer, int, int)} allocates two views per call
 * (for setup and checks), and a {@link Scanner} made once per thread allocates nothing.
 * Not part of the public API.
 */
public final class ZeroPages {

    /** The zero buffer's length: 64 KiB, a small multiple of every page size up to 64 KiB. */
    static final int ZERO_LENGTH = 64 << 10;

    /** Shared, read-only, never repositioned: every user takes a duplicate. */
    private static final ByteBuffer ZERO = ByteBuffer.allocateDirect(ZERO_LENGTH).asReadOnlyBuffer();

    private ZeroPages() {
    }

    /**
     * Tells whether {@code buf[pos, pos + len)} is all zero. Allocates two small views; for setup
     * and tests. Thread-safe (does not change {@code buf}).
     *
     * @param buf the buffer
     * @param pos absolute start
     * @param len length, at least 1
     * @return true if every byte is zero
     */
    public static boolean isZero(ByteBuffer buf, int pos, int len) {
        return new Scanner().isZero(buf.duplicate(), pos, len);
    }

    /**
     * A zero-page scanner confined to one thread: holds its own duplicate of the zero buffer, so a
     * check allocates nothing.
     */
    public static final class Scanner {
        private final ByteBuffer zero = ZERO.duplicate();

        /** Makes a scanner for the calling thread. */
        public Scanner() {
        }

        /**
         * Tells whether {@code view[pos, pos + len)} is all zero. Re-positions {@code view} (its
         * position and limit are left undefined): pass a view owned by the calling thread.
         *
         * @param view a view owned by the caller, whose capacity covers the range
         * @param pos  absolute start
         * @param len  length, at least 1
         * @return true if every byte is zero
         */
        public boolean isZero(ByteBuffer view, int pos, int len) {
            int end = pos + len;
            view.clear();
            // the first 8 bytes only: one cache line, the one the copy that follows starts with
            if (len >= 8 ? view.getLong(pos) != 0 : view.get(pos) != 0) {
                return false;
            }
            ByteBuffer z = zero;
            while (pos < end) {
                int n = Math.min(end - pos, ZERO_LENGTH);
                view.limit(pos + n).position(pos);
                z.limit(n).position(0);
                if (view.mismatch(z) >= 0) {
                    return false;
                }
                pos += n;
                view.limit(view.capacity());
            }
            return true;
        }

        /**
         * Writes zeros over {@code view[pos, pos + len)}. Re-positions {@code view}.
         *
         * @param view a writable view owned by the caller
         * @param pos  absolute start
         * @param len  length
         */
        public void zero(ByteBuffer view, int pos, int len) {
            int end = pos + len;
            view.clear();
            ByteBuffer z = zero;
            while (pos < end) {
                int n = Math.min(end - pos, ZERO_LENGTH);
                view.position(pos);
                z.limit(n).position(0);
                view.put(z);
                pos += n;
            }
        }
    }
}
