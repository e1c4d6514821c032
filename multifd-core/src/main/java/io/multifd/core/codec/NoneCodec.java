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
package io.multifd.core.codec;

import com.google.auto.service.AutoService;
import io.multifd.api.CodecOptions;
import io.multifd.api.spi.CodecContext;
import io.multifd.api.spi.CodecDecoder;
import io.multifd.api.spi.CodecEncoder;
import io.multifd.api.spi.IncomingPacket;
import io.multifd.api.spi.Codec;

import java.nio.ByteBuffer;

/**
 * The identity codec {@code none} (wire id 0): data travels as it is, so the receiver reads it
 * straight from the channel into the payload's buffers (a scattering read) and the sender writes
 * it straight from the payload's buffers (a gathering write). Ships in core so that migrating
 * without compression needs no codec jar. Stateless; takes no options.
 */
@AutoService(Codec.class)
public final class NoneCodec implements Codec {

    /** The name users select it by. */
    public static final String NAME = "none";

    private static final CodecEncoder ENCODER = new CodecEncoder() {
        @Override
        public boolean encode(ByteBuffer[] data, int offset, int count, int rawLength, EncodeSink sink) {
            return false;
        }

        @Override
        public void close() {
        }
    };

    /** Public for {@link java.util.ServiceLoader}. */
    public NoneCodec() {
    }

    @Override
    public int id() {
        return NONE_ID;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void validate(CodecOptions options) {
        if (!options.isEmpty()) {
            throw new IllegalArgumentException("codec 'none' takes no options: " + options);
        }
    }

    @Override
    public CodecEncoder newEncoder(CodecOptions options, CodecContext context) {
        return ENCODER;
    }

    @Override
    public CodecDecoder newDecoder(CodecOptions options, CodecContext context) {
        return new CodecDecoder() {
            @Override
            public ByteBuffer inputBuffer(int encodedLength) {
                throw new IllegalStateException("'none' never receives encoded data");
            }

            @Override
            public void decode(ByteBuffer input, ByteBuffer[] targets, int offset, int count, int rawLength,
                               boolean streamReset, IncomingPacket packet) {
                throw new IllegalStateException("'none' never receives encoded data");
            }

            @Override
            public void close() {
            }
        };
    }
}
