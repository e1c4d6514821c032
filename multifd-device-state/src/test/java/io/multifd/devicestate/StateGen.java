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
package io.multifd.devicestate;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;

/**
 * Deterministic device states of any size, generated in chunks (so a 100 MiB state needs no
 * 100 MiB array) and hashed as they are produced: half random bytes, half runs, so that codecs
 * have something to compress.
 */
final class StateGen {

    private final SplittableRandom random;
    private final long size;
    private final MessageDigest digest;
    private long produced;

    StateGen(long seed, long size) {
        this.random = new SplittableRandom(seed);
        this.size = size;
        try {
            this.digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** Fills {@code b[0..n)} with the next bytes; returns n, or -1 at the end. */
    int next(byte[] b, int max) {
        long left = size - produced;
        if (left <= 0) {
            return -1;
        }
        int n = (int) Math.min(max, left);
        if (random.nextBoolean()) {
            for (int i = 0; i < n; i++) {
                b[i] = (byte) random.nextInt(256);
            }
        } else {
            java.util.Arrays.fill(b, 0, n, (byte) random.nextInt(256));
        }
        digest.update(b, 0, n);
        produced += n;
        return n;
    }

    /** The whole state as an array (for small states). */
    byte[] bytes() {
        byte[] all = new byte[(int) size];
        int p = 0;
        byte[] chunk = new byte[8192];
        int n;
        while ((n = next(chunk, chunk.length)) > 0) {
            System.arraycopy(chunk, 0, all, p, n);
            p += n;
        }
        return all;
    }

    /** Writes the whole state in chunks of varying size. */
    void writeTo(OutputStream out) throws IOException {
        byte[] chunk = new byte[100_000];
        int n;
        while ((n = next(chunk, 1 + random.nextInt(chunk.length))) > 0) {
            out.write(chunk, 0, n);
        }
    }

    /** The state as a stream. */
    InputStream stream() {
        return new InputStream() {
            @Override
            public int read() {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (len == 0) {
                    return 0;
                }
                byte[] tmp = off == 0 ? b : new byte[len];
                int n = next(tmp, len);
                if (n > 0 && tmp != b) {
                    System.arraycopy(tmp, 0, b, off, n);
                }
                return n;
            }
        };
    }

    /** The hash of everything produced; call once, at the end. */
    String hash() {
        if (produced != size) {
            throw new IllegalStateException("produced " + produced + " of " + size);
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
