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

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * The zlib encoder and decoder, on the JDK's {@link Deflater} and {@link Inflater}: each packet
 * is one complete zlib stream (RFC 1950: deflate data ending with the Adler-32 of the raw
 * bytes, no preset dictionary). One deflater and one inflater per channel, {@code reset()}
 * between packets.
 */
public final class ZlibLib {

    /** Bounds a loop that should always make progress; exceeding it is reported as a failure. */
    private static final int MAX_STALLS = 4;

    private ZlibLib() {
    }

    /**
     * Compresses a packet into one stream. The output buffer is limited to {@code rawLength - 1}
     * bytes, so deflate stops as soon as the result cannot shrink the data.
     */
    public static final class Encoder extends AbstractPacketEncoder {
        private final Deflater deflater;

        /**
         * @param context the channel's limits
         * @param level   0 to 9
         */
        public Encoder(CodecContext context, int level) {
            super("zlib", context, context.maxDataLength());
            this.deflater = new Deflater(level, false);
        }

        @Override
        protected int compress(int rawLength) throws IOException {
            deflater.reset();
            staging.limit(rawLength).position(0);
            deflater.setInput(staging);
            deflater.finish();
            output.clear().limit(rawLength - 1);
            int stalls = 0;
            while (!deflater.finished()) {
                if (!output.hasRemaining()) {
                    return -1;
                }
                if (deflater.deflate(output) == 0 && ++stalls > MAX_STALLS) {
                    throw new IOException("zlib: deflate made no progress");
                }
            }
            return output.position();
        }

        @Override
        protected void release() {
            deflater.end();
        }
    }

    /**
     * Inflates a packet's stream straight into the targets, one after another: zlib's output is
     * bounded by each target's remaining bytes, its window is a fixed 32 KiB, and nothing is
     * sized from the stream's header. After the targets are full the stream must end (with a
     * matching Adler-32) without producing one more byte, and no input may be left.
     */
    public static final class Decoder extends AbstractPacketDecoder {
        private final Inflater inflater;
        private final ByteBuffer overflow;

        /**
         * @param context the channel's limits
         */
        public Decoder(CodecContext context) {
            super("zlib", context, false);
            this.inflater = new Inflater(false);
            this.overflow = ByteBuffer.allocateDirect(1);
        }

        @Override
        protected void decodePacket(int encodedLength, ByteBuffer[] targets, int offset, int count, int rawLength,
                                    IncomingPacket packet) throws MalformedPacketException {
            inflater.reset();
            input.position(0);
            inflater.setInput(input);
            long produced = 0;
            try {
                for (int i = offset; i < offset + count; i++) {
                    ByteBuffer t = targets[i];
                    int stalls = 0;
                    while (t.hasRemaining()) {
                        int n = inflater.inflate(t);
                        produced += n;
                        if (n == 0) {
                            checkStopped(packet, encodedLength, produced, rawLength, ++stalls);
                        } else {
                            stalls = 0;
                        }
                    }
                }
                int stalls = 0;
                while (!inflater.finished()) {
                    overflow.clear();
                    if (inflater.inflate(overflow) > 0) {
                        throw malformed(packet, encodedLength, "decodes to more than the packet's raw length "
                                + rawLength, null);
                    }
                    checkStopped(packet, encodedLength, produced, rawLength, ++stalls);
                }
            } catch (DataFormatException e) {
                throw malformed(packet, encodedLength, "corrupt stream after " + produced + " decoded bytes ("
                        + e.getMessage() + ")", e);
            }
            int left = inflater.getRemaining();
            if (left > 0) {
                throw malformed(packet, encodedLength, left + " bytes follow the end of the stream", null);
            }
        }

        /** Explains why inflate produced nothing, or tolerates a few calls without output. */
        private void checkStopped(IncomingPacket packet, int encodedLength, long produced, int rawLength, int stalls)
                throws MalformedPacketException {
            if (inflater.finished()) {
                if (produced < rawLength) {
                    throw wrongLength(packet, encodedLength, produced, rawLength);
                }
            } else if (inflater.needsDictionary()) {
                throw malformed(packet, encodedLength, "the stream needs a preset dictionary", null);
            } else if (inflater.needsInput()) {
                throw malformed(packet, encodedLength, "truncated stream: the input ends after " + produced
                        + " decoded bytes, before the end of the stream (raw length " + rawLength + ")", null);
            } else if (stalls > MAX_STALLS) {
                throw malformed(packet, encodedLength, "inflate made no progress after " + produced + " bytes", null);
            }
        }

        @Override
        protected void release() {
            inflater.end();
        }
    }
}
