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
package io.multifd.testprovider;

import com.google.auto.service.AutoService;
import io.multifd.api.CodecOptions;
import io.multifd.api.spi.CodecContext;
import io.multifd.api.spi.CodecDecoder;
import io.multifd.api.spi.CodecEncoder;
import io.multifd.api.spi.IncomingPacket;
import io.multifd.api.spi.Codec;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Test codec: run-length encoding as (count 1..255, byte) pairs. Shrinks data with long runs;
 * anything else goes RAW. Decoding is bounded by the announced raw length. Wire id 900, name
 * {@code rle}.
 */
@AutoService(Codec.class)
public final class RunLengthCodec implements Codec {

    /** For ServiceLoader. */
    public RunLengthCodec() {
    }

    @Override
    public int id() {
        return 900;
    }

    @Override
    public String name() {
        return "rle";
    }

    @Override
    public void validate(CodecOptions options) {
        if (!options.isEmpty()) {
            throw new IllegalArgumentException("codec 'rle' takes no options: " + options);
        }
    }

    @Override
    public CodecEncoder newEncoder(CodecOptions options, CodecContext context) {
        ByteBuffer out = ByteBuffer.allocateDirect(context.maxDataLength());
        return new CodecEncoder() {
            @Override
            public boolean encode(ByteBuffer[] data, int offset, int count, int rawLength, EncodeSink sink) {
                out.clear();
                int run = 0;
                byte cur = 0;
                for (int i = offset; i < offset + count; i++) {
                    ByteBuffer d = data[i];
                    for (int p = d.position(); p < d.limit(); p++) {
                        byte b = d.get(p);
                        if (run > 0 && (b != cur || run == 255)) {
                            if (out.remaining() < 2 || out.position() + 2 >= rawLength) {
                                return false;
                            }
                            out.put((byte) run).put(cur);
                            run = 0;
                        }
                        cur = b;
                        run++;
                    }
                }
                if (out.position() + 2 >= rawLength) {
                    return false;
                }
                out.put((byte) run).put(cur).flip();
                sink.encoded(out, false);
                return true;
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public CodecDecoder newDecoder(CodecOptions options, CodecContext context) {
        ByteBuffer in = ByteBuffer.allocateDirect(context.maxDataLength());
        return new CodecDecoder() {
            @Override
            public ByteBuffer inputBuffer(int encodedLength) {
                return in.clear().limit(encodedLength);
            }

            @Override
            public void decode(ByteBuffer input, ByteBuffer[] targets, int offset, int count, int rawLength,
                               boolean streamReset, IncomingPacket packet) throws IOException {
                if ((input.limit() & 1) != 0) {
                    throw packet.malformed("data", input.limit() + " bytes", "rle: odd encoded length");
                }
                int t = offset;
                long produced = 0;
                for (int p = 0; p < input.limit(); p += 2) {
                    int n = Byte.toUnsignedInt(input.get(p));
                    byte b = input.get(p + 1);
                    if (n == 0 || produced + n > rawLength) {
                        throw packet.malformed("data", "run of " + n, "rle: runs exceed the raw length " + rawLength);
                    }
                    for (int k = 0; k < n; k++) {
                        while (!targets[t].hasRemaining()) {
                            t++;
                        }
                        targets[t].put(b);
                    }
                    produced += n;
                }
                if (produced != rawLength) {
                    throw packet.malformed("data", produced + " bytes", "rle: decoded less than the raw length " + rawLength);
                }
            }

            @Override
            public void close() {
            }
        };
    }
}
