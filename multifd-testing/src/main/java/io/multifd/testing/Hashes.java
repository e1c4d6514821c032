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

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * SHA-256 of byte arrays, buffers and memory read in chunks (a RAM block, a virtual disk), as hex
 * text: what tests compare to prove that a destination equals its source byte for byte. Stateless
 * and thread-safe.
 */
public final class Hashes {

    private static final int CHUNK = 1 << 16;

    private Hashes() {
    }

    /** Reads {@code length} bytes at {@code offset} into {@code dst[0, length)}. */
    @FunctionalInterface
    public interface ChunkReader {
        /**
         * @param offset where to read, 0 to the total length
         * @param dst    the caller's buffer
         * @param at     index in {@code dst} to write to (always 0 here)
         * @param length how many bytes to read
         * @throws Exception if reading fails
         */
        void read(long offset, byte[] dst, int at, int length) throws Exception;
    }

    /**
     * The SHA-256 of {@code data}.
     *
     * @param data the bytes
     * @return 64 hex digits
     */
    public static String sha256(byte[] data) {
        MessageDigest md = newDigest();
        md.update(data);
        return HexFormat.of().formatHex(md.digest());
    }

    /**
     * The SHA-256 of a buffer's bytes between position and limit; the buffer is not changed.
     *
     * @param data the buffer, read during this call only
     * @return 64 hex digits
     */
    public static String sha256(ByteBuffer data) {
        MessageDigest md = newDigest();
        md.update(data.duplicate());
        return HexFormat.of().formatHex(md.digest());
    }

    /**
     * The SHA-256 of {@code length} bytes read in chunks of 64 KiB, for memory that is not one
     * array: for example {@code sha256(block.length(), block::get)} for a RAM block.
     *
     * @param length the total length
     * @param reader reads one chunk
     * @return 64 hex digits
     * @throws IllegalStateException if the reader fails
     */
    public static String sha256(long length, ChunkReader reader) {
        MessageDigest md = newDigest();
        byte[] buf = new byte[CHUNK];
        try {
            for (long off = 0; off < length; off += CHUNK) {
                int n = (int) Math.min(CHUNK, length - off);
                reader.read(off, buf, 0, n);
                md.update(buf, 0, n);
            }
        } catch (Exception e) {
            throw new IllegalStateException("reading for a hash failed", e);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /**
     * A new SHA-256 digest (every JDK has one).
     *
     * @return the digest, owned by the caller
     */
    public static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }
}
