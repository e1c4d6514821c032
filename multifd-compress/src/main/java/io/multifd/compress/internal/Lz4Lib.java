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

import io.multifd.api.MalformedPacketException;
import io.multifd.api.spi.CodecContext;
import io.multifd.api.spi.IncomingPacket;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The lz4 encoder and decoder: each packet is one LZ4 block (the raw block format, no frame and
 * no length prefix: the packet header carries the raw length). Compression uses lz4-java's
 * native "fast reset" compressors, one per channel (their state is reset cheaply instead of
 * being cleared per call), or its pure-Java compressors when the native library did not load.
 * Decompression uses only {@link LZ4Factory#safeDecompressor()}, which checks every read and
 * write against the given input length and output capacity; the fast decompressor, which
 * trusts a length, is never used.
 */
public final class Lz4Lib {

    /** Level 0: the fast compressor (LZ4 acceleration 1, like {@code lz4 -1}). */
    public static final int FAST = 0;
    /**
     * Smallest level: -N selects the fast compressor with acceleration N, like
     * {@code lz4 --fast=N} (LZ4's own ceiling, {@code LZ4_ACCELERATION_MAX}); -1 is the same as 0.
     */
    public static final int MIN_LEVEL = -65_537;
    /** Largest HC level lz4-java accepts (the native library treats 12 and above alike). */
    public static final int MAX_LEVEL = 17;
    /** The version of lz4-java this module is built against, for messages. */
    public static final String LIBRARY = "lz4-java 1.14.0 (at.yawk.lz4)";

    private Lz4Lib() {
    }

    /**
     * Loads the pure-Java implementation, which needs no native code: fails only if lz4-java
     * itself is missing or broken.
     *
     * @throws Exception if lz4-java does not work at all
     */
    public static void probeJava() throws Exception {
        roundTrip(LZ4Factory.safeInstance(), false);
    }

    /**
     * Loads lz4-java's JNI library and round-trips a few bytes through the compressors used here.
     *
     * @throws Exception if the native implementation does not work here
     */
    public static void probeNative() throws Exception {
        roundTrip(LZ4Factory.nativeInstance(), true);
    }

    private static void roundTrip(LZ4Factory factory, boolean fastReset) {
        byte[] data = new byte[256];
        Arrays.fill(data, 64, 256, (byte) 'z');
        LZ4Compressor c = fastReset ? factory.fastResetCompressor() : factory.fastCompressor();
        try {
            byte[] enc = new byte[c.maxCompressedLength(data.length)];
            int n = c.compress(data, 0, data.length, enc, 0, enc.length);
            byte[] dec = new byte[data.length];
            int m = factory.safeDecompressor().decompress(enc, 0, n, dec, 0, dec.length);
            if (m != data.length || !Arrays.equals(dec, data)) {
                throw new IllegalStateException("lz4 round trip produced wrong bytes");
            }
        } finally {
            if (c instanceof AutoCloseable) {
                closeQuietly((AutoCloseable) c);
            }
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // the fast-reset compressors' close() does not throw
        }
    }

    /** Compresses each packet into one block. */
    public static final class Encoder extends AbstractPacketEncoder {
        private final LZ4Compressor compressor;

        /**
         * @param context    the channel's limits
         * @param level      {@link #FAST}; -N ({@link #MIN_LEVEL} to -1) for the fast compressor with
         *                   acceleration N; or an HC level from 1 to {@link #MAX_LEVEL}
         * @param nativeImpl true to use the JNI compressors (the native probe succeeded). lz4-java's
         *                   pure-Java fast compressor has no acceleration: without the native
         *                   library every level up to 0 compresses as level 0 (same format)
         */
        public Encoder(CodecContext context, int level, boolean nativeImpl) {
            super("lz4", context, LZ4Factory.safeInstance().fastCompressor().maxCompressedLength(context.maxDataLength()));
            LZ4Factory f = nativeImpl ? LZ4Factory.nativeInstance() : LZ4Factory.safeInstance();
            if (nativeImpl) {
                compressor = level <= FAST
                        ? f.fastResetCompressor(Math.max(1, -level)) // -1 and 0 are both acceleration 1
                        : f.highFastResetCompressor(level);
            } else {
                compressor = level <= FAST ? f.fastCompressor() : f.highCompressor(level);
            }
        }

        @Override
        protected int compress(int rawLength) throws IOException {
            try {
                // output holds maxCompressedLength(maxDataLength) bytes: the block always fits
                return compressor.compress(staging, 0, rawLength, output, 0, output.capacity());
            } catch (LZ4Exception e) {
                throw new IOException("lz4: compression failed: " + e.getMessage(), e);
            }
        }

        @Override
        protected void release() {
            if (compressor instanceof AutoCloseable) {
                closeQuietly((AutoCloseable) compressor);
            }
        }

        /**
         * Names the compressor in use, for tests and messages.
         *
         * @return lz4-java's description of the compressor (e.g. {@code LZ4JNIFastResetCompressor})
         */
        public String implementation() {
            return compressor.toString();
        }
    }

    /**
     * Decodes one block per packet with the safe decompressor, into a single target directly
     * (heap or direct) or into the scratch buffer and then to the targets. The output capacity
     * given to the decompressor is exactly the raw length.
     */
    public static final class Decoder extends AbstractPacketDecoder {
        private final LZ4SafeDecompressor decompressor;

        /**
         * @param context    the channel's limits
         * @param nativeImpl true to use the JNI safe decompressor (the native probe succeeded)
         */
        public Decoder(CodecContext context, boolean nativeImpl) {
            super("lz4", context, true);
            decompressor = (nativeImpl ? LZ4Factory.nativeInstance() : LZ4Factory.safeInstance()).safeDecompressor();
        }

        @Override
        protected void decodePacket(int encodedLength, ByteBuffer[] targets, int offset, int count, int rawLength,
                                    IncomingPacket packet) throws MalformedPacketException {
            ByteBuffer single = count == 1 ? targets[offset] : null;
            ByteBuffer dst = single != null ? single : scratch;
            int at = single != null ? single.position() : 0;
            int n;
            try {
                n = decompressor.decompress(input, 0, encodedLength, dst, at, rawLength);
            } catch (LZ4Exception e) {
                throw malformed(packet, encodedLength, "malformed block, or one that decodes to more than the"
                        + " packet's raw length " + rawLength + " (" + e.getMessage() + ")", e);
            }
            if (n != rawLength) {
                throw wrongLength(packet, encodedLength, n, rawLength);
            }
            if (single != null) {
                single.position(at + rawLength);
            } else {
                Buffers.scatter(scratch, 0, targets, offset, count);
            }
        }

        @Override
        protected void release() {
            // the safe decompressor is stateless
        }

        /**
         * Names the decompressor in use, for tests and messages.
         *
         * @return lz4-java's description of the decompressor (e.g. {@code LZ4JNISafeDecompressor})
         */
        public String implementation() {
            return decompressor.toString();
        }
    }
}
