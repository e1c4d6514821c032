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
import io.multifd.api.spi.Codec;
import io.multifd.api.spi.CodecContext;
import io.multifd.api.spi.CodecDecoder;
import io.multifd.api.spi.CodecEncoder;
import io.multifd.api.spi.IncomingPacket;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * Test codec: run-length encoding as (count 1..255, byte) pairs. Shrinks data with long runs;
 * anything else goes RAW. Wire id 900, name {@code rle}, no options. It keeps the whole codec
 * contract ({@code AbstractCodecContractTest}) on its own, without a shared base class: caller
 * bugs (buffers that do not hold the raw length, read-only targets, use after close) throw
 * {@link IllegalArgumentException} or {@link IllegalStateException}; a hostile encoding is refused
 * as a malformed {@code data} field before anything past the raw length is written.
 *
 * <p>Encoders and decoders are confined to one channel thread and own one direct buffer each,
 * sized from {@link CodecContext#maxDataLength()}.
 */
@AutoService(Codec.class)
public final class RunLengthCodec implements Codec {

    private static final String NAME = "rle";

    /** For ServiceLoader. */
    public RunLengthCodec() {
    }

    @Override
    public int id() {
        return 900;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void validate(CodecOptions options) {
        for (String key : options.asMap().keySet()) {
            throw new IllegalArgumentException(NAME + ": unknown option '" + key + "' (rle takes no options)");
        }
    }

    @Override
    public CodecEncoder newEncoder(CodecOptions options, CodecContext context) {
        validate(options);
        int max = context.maxDataLength();
        ByteBuffer out = ByteBuffer.allocateDirect(max);
        return new CodecEncoder() {
            private boolean closed;

            @Override
            public boolean encode(ByteBuffer[] data, int offset, int count, int rawLength, EncodeSink sink) {
                if (closed) {
                    throw new IllegalStateException(NAME + ": encoder is closed");
                }
                if (rawLength <= 0 || rawLength > max) {
                    throw new IllegalArgumentException(NAME + ": raw length " + rawLength + " is not within 1 to "
                            + max);
                }
                Objects.checkFromIndexSize(offset, count, data.length);
                long held = 0;
                for (int i = offset; i < offset + count; i++) {
                    held += data[i].remaining();
                }
                if (held != rawLength) {
                    throw new IllegalArgumentException(NAME + ": data buffers hold " + held + " bytes, not the raw "
                            + "length " + rawLength);
                }
                out.clear();
                int run = 0;
                byte cur = 0;
                for (int i = offset; i < offset + count; i++) {
                    ByteBuffer d = data[i];
                    for (int p = d.position(); p < d.limit(); p++) {
                        byte b = d.get(p); // each byte read once: live data may change under us
                        if (run > 0 && (b != cur || run == 255)) {
                            if (out.position() + 4 > rawLength - 1) {
                                return false;
                            }
                            out.put((byte) run).put(cur);
                            run = 0;
                        }
                        cur = b;
                        run++;
                    }
                }
                if (out.position() + 2 > rawLength - 1) {
                    return false;
                }
                out.put((byte) run).put(cur).flip();
                sink.encoded(out, false);
                return true;
            }

            @Override
            public void close() {
                closed = true;
            }
        };
    }

    @Override
    public CodecDecoder newDecoder(CodecOptions options, CodecContext context) {
        validate(options);
        int max = context.maxDataLength();
        ByteBuffer in = ByteBuffer.allocateDirect(max);
        return new CodecDecoder() {
            private boolean closed;

            @Override
            public ByteBuffer inputBuffer(int encodedLength) {
                checkOpen();
                if (encodedLength < 0 || encodedLength > max) {
                    throw new IllegalArgumentException(NAME + ": encoded length " + encodedLength
                            + " is not within 0 to " + max);
                }
                return in.clear().limit(encodedLength);
            }

            @Override
            public void decode(ByteBuffer input, ByteBuffer[] targets, int offset, int count, int rawLength,
                               boolean streamReset, IncomingPacket packet) throws IOException {
                checkOpen();
                if (input != in) {
                    throw new IllegalArgumentException(NAME + ": input is not the buffer returned by inputBuffer()");
                }
                if (rawLength <= 0 || rawLength > max) {
                    throw packet.malformed("raw length", rawLength, NAME + ": not within 1 to " + max);
                }
                Objects.checkFromIndexSize(offset, count, targets.length);
                long room = 0;
                for (int i = offset; i < offset + count; i++) {
                    if (targets[i].isReadOnly()) {
                        throw new IllegalArgumentException(NAME + ": target " + (i - offset) + " is read-only");
                    }
                    room += targets[i].remaining();
                }
                if (room != rawLength) {
                    throw new IllegalArgumentException(NAME + ": targets hold " + room + " bytes, not the raw length "
                            + rawLength);
                }
                int length = input.limit();
                if (length == 0) {
                    throw packet.malformed("data", 0, NAME + ": no encoded bytes for a raw length of " + rawLength);
                }
                if ((length & 1) != 0) {
                    throw packet.malformed("data", length, NAME + ": an odd encoded length");
                }
                // check every run before writing, so a refused packet writes nothing
                long produced = 0;
                for (int p = 0; p < length; p += 2) {
                    int n = Byte.toUnsignedInt(input.get(p));
                    if (n == 0) {
                        throw packet.malformed("data", length, NAME + ": a run of length 0 at byte " + p);
                    }
                    produced += n;
                }
                if (produced != rawLength) {
                    throw packet.malformed("data", length, NAME + ": decodes to " + produced
                            + " bytes, but the packet's raw length is " + rawLength);
                }
                int t = offset;
                for (int p = 0; p < length; p += 2) {
                    int n = Byte.toUnsignedInt(input.get(p));
                    byte b = input.get(p + 1);
                    for (int k = 0; k < n; k++) {
                        while (!targets[t].hasRemaining()) {
                            t++;
                        }
                        targets[t].put(b);
                    }
                }
            }

            private void checkOpen() {
                if (closed) {
                    throw new IllegalStateException(NAME + ": decoder is closed");
                }
            }

            @Override
            public void close() {
                closed = true;
            }
        };
    }
}
