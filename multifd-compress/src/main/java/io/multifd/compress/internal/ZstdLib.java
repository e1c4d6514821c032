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

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;
import io.multifd.api.MalformedPacketException;
import io.multifd.api.spi.CodecContext;
import io.multifd.api.spi.IncomingPacket;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The zstd encoder and decoder: each packet is one zstd frame (RFC 8878) holding its content
 * size, without checksum or dictionary, made and read with one native context per channel.
 * Everything here runs only after the zstd probe succeeded.
 */
public final class ZstdLib {

    /** Smallest level zstd accepts ({@code ZSTD_minCLevel()}; negative levels are the fast modes). */
    public static final int MIN_LEVEL = -(1 << 17);
    /** Largest level zstd accepts ({@code ZSTD_maxCLevel()}). */
    public static final int MAX_LEVEL = 22;
    /** The version of zstd-jni this module is built against, for messages. */
    public static final String LIBRARY = "zstd-jni 1.5.7-28";

    private ZstdLib() {
    }

    /**
     * Loads the native library and round-trips a few bytes through fresh contexts.
     *
     * @throws Exception if zstd does not work here
     */
    public static void probe() throws Exception {
        byte[] data = new byte[256];
        Arrays.fill(data, 64, 256, (byte) 'z');
        ByteBuffer src = ByteBuffer.allocateDirect(data.length).put(data).flip();
        ByteBuffer enc = ByteBuffer.allocateDirect((int) Zstd.compressBound(data.length));
        ByteBuffer dec = ByteBuffer.allocateDirect(data.length);
        try (ZstdCompressCtx c = new ZstdCompressCtx(); ZstdDecompressCtx d = new ZstdDecompressCtx()) {
            c.setLevel(1);
            int n = c.compressDirectByteBuffer(enc, 0, enc.capacity(), src, 0, data.length);
            int m = d.decompressDirectByteBuffer(dec, 0, data.length, enc, 0, n);
            if (m != data.length || !dec.equals(src)) {
                throw new IllegalStateException("zstd round trip produced wrong bytes");
            }
        }
    }

    /** {@link #announcedContentSize} when the frame header has no content size field. */
    public static final long CONTENT_SIZE_UNKNOWN = -1;
    /** {@link #announcedContentSize} when the input does not start with a complete zstd frame header. */
    public static final long NOT_A_FRAME_HEADER = -2;

    private static final int MAGIC = 0xFD2FB528;
    private static final int[] DICT_ID_BYTES = {0, 1, 2, 4};

    /**
     * Reads the content size that the first frame header of {@code in[0, length)} announces
     * (RFC 8878, section 3.1.1.1), in Java: it only reads bytes it has checked are there, and
     * allocates nothing. Used to refuse a frame that announces the wrong size before decoding.
     *
     * @param in     the input; absolute reads only
     * @param length bytes of input
     * @return the announced size ({@link Long#MAX_VALUE} if it does not fit a long),
     *         {@link #CONTENT_SIZE_UNKNOWN}, or {@link #NOT_A_FRAME_HEADER}
     */
    public static long announcedContentSize(ByteBuffer in, int length) {
        if (length < 6 || Integer.reverseBytes(in.getInt(0)) != MAGIC) {
            return NOT_A_FRAME_HEADER;
        }
        int descriptor = in.get(4) & 0xFF;
        if ((descriptor & 0x08) != 0) {
            return NOT_A_FRAME_HEADER; // reserved bit
        }
        int fcsFlag = descriptor >>> 6;
        boolean singleSegment = (descriptor & 0x20) != 0;
        int at = 5 + (singleSegment ? 0 : 1) + DICT_ID_BYTES[descriptor & 0x03];
        int size = fcsFlag == 0 ? (singleSegment ? 1 : 0) : 1 << fcsFlag;
        if (size == 0) {
            return CONTENT_SIZE_UNKNOWN;
        }
        if (at + size > length) {
            return NOT_A_FRAME_HEADER;
        }
        long v = 0;
        for (int i = size - 1; i >= 0; i--) {
            v = (v << 8) | (in.get(at + i) & 0xFF);
        }
        if (size == 2) {
            v += 256;
        }
        return v < 0 ? Long.MAX_VALUE : v;
    }

    /** Compresses each packet into one frame with a per-channel {@link ZstdCompressCtx}. */
    public static final class Encoder extends AbstractPacketEncoder {
        private final ZstdCompressCtx ctx;

        /**
         * @param context the channel's limits
         * @param level   a level from {@link #MIN_LEVEL} to {@link #MAX_LEVEL} (0 means zstd's default, 3)
         */
        public Encoder(CodecContext context, int level) {
            super("zstd", context, Math.toIntExact(Zstd.compressBound(context.maxDataLength())));
            ZstdCompressCtx c = new ZstdCompressCtx();
            try {
                c.setLevel(level).setChecksum(false).setContentSize(true).setDictID(false);
            } catch (RuntimeException e) {
                c.close();
                throw e;
            }
            this.ctx = c;
        }

        @Override
        protected int compress(int rawLength) throws IOException {
            try {
                // one-shot ZSTD_compress2 into a buffer of compressBound bytes: cannot run short
                return ctx.compressDirectByteBuffer(output, 0, output.capacity(), staging, 0, rawLength);
            } catch (ZstdException e) {
                throw new IOException("zstd: compression failed: " + e.getMessage(), e);
            }
        }

        @Override
        protected void release() {
            ctx.close();
        }
    }

    /**
     * Decodes one frame per packet with a per-channel {@link ZstdDecompressCtx}, one-shot: the
     * output goes straight into a single direct target of exactly the raw length, otherwise into
     * the scratch buffer limited to the raw length and is then copied to the targets. One-shot
     * decoding writes into the destination only and needs no window buffer, so a frame header
     * cannot make it allocate anything; the destination's size bounds the output.
     */
    public static final class Decoder extends AbstractPacketDecoder {
        private final ZstdDecompressCtx ctx;
        private final long errDstSizeTooSmall;
        private final long errSrcSizeWrong;
        private final long errPrefixUnknown;
        private final long errCorruption;
        private final long errChecksum;
        private final long errWindowTooLarge;
        private final long errFrameParameter;
        private final long errVersion;
        private final long errDictionary;

        /**
         * @param context the channel's limits
         */
        public Decoder(CodecContext context) {
            super("zstd", context, true);
            this.errDstSizeTooSmall = Zstd.errDstSizeTooSmall();
            this.errSrcSizeWrong = Zstd.errSrcSizeWrong();
            this.errPrefixUnknown = Zstd.errPrefixUnknown();
            this.errCorruption = Zstd.errCorruptionDetected();
            this.errChecksum = Zstd.errChecksumWrong();
            this.errWindowTooLarge = Zstd.errFrameParameterWindowTooLarge();
            this.errFrameParameter = Zstd.errFrameParameterUnsupported();
            this.errVersion = Zstd.errVersionUnsupported();
            this.errDictionary = Zstd.errDictionaryWrong();
            this.ctx = new ZstdDecompressCtx();
        }

        @Override
        protected void decodePacket(int encodedLength, ByteBuffer[] targets, int offset, int count, int rawLength,
                                    IncomingPacket packet) throws MalformedPacketException {
            // The frame header's content size is attacker data: only compared, never used to size anything.
            long announced = announcedContentSize(input, encodedLength);
            if (announced >= 0 && announced != rawLength) {
                throw malformed(packet, encodedLength, "the frame header announces " + announced
                        + " bytes, but the packet's raw length is " + rawLength, null);
            }
            ByteBuffer single = count == 1 ? targets[offset] : null;
            boolean direct = single != null && single.isDirect();
            ByteBuffer dst = direct ? single : scratch;
            int at = direct ? single.position() : 0;
            int n;
            try {
                n = ctx.decompressDirectByteBuffer(dst, at, rawLength, input, 0, encodedLength);
            } catch (ZstdException e) {
                throw malformed(packet, encodedLength, describe(e.getErrorCode(), rawLength, announced)
                        + " (" + e.getMessage() + ")", e);
            }
            if (n != rawLength) {
                throw wrongLength(packet, encodedLength, n, rawLength);
            }
            if (direct) {
                single.position(at + rawLength);
            } else {
                Buffers.scatter(scratch, 0, targets, offset, count);
            }
        }

        private String describe(long code, int rawLength, long announced) {
            if (code == errDstSizeTooSmall) {
                return "decodes to more than the packet's raw length " + rawLength
                        + (announced == CONTENT_SIZE_UNKNOWN ? " (frame without content size)" : "");
            } else if (code == errSrcSizeWrong) {
                return "the input is truncated, or has bytes after the last frame";
            } else if (code == errPrefixUnknown) {
                return "not a zstd frame (unknown magic number or frame descriptor)";
            } else if (code == errCorruption) {
                return "corrupted compressed block";
            } else if (code == errChecksum) {
                return "frame checksum does not match the decoded bytes";
            } else if (code == errWindowTooLarge) {
                return "the frame's window size is too large";
            } else if (code == errFrameParameter || code == errVersion) {
                return "unsupported frame parameters";
            } else if (code == errDictionary) {
                return "the frame needs a dictionary";
            }
            return "decoding failed with zstd error " + code;
        }

        @Override
        protected void release() {
            ctx.close();
        }
    }
}
