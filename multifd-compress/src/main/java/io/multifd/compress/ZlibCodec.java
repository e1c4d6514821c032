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
package io.multifd.compress;

import com.google.auto.service.AutoService;
import io.multifd.api.CodecOptions;
import io.multifd.api.spi.CodecContext;
import io.multifd.api.spi.CodecDecoder;
import io.multifd.api.spi.CodecEncoder;
import io.multifd.api.spi.Codec;
import io.multifd.compress.internal.Options;
import io.multifd.compress.internal.ZlibLib;

import java.io.IOException;

/**
 * The {@code zlib} codec (wire id {@value #ID}): deflate through the JDK's
 * {@link java.util.zip.Deflater} and {@link java.util.zip.Inflater}, so it needs no extra
 * library and is always available. With {@code none} and {@code zstd} it covers what QEMU
 * offers in software.
 *
 * <h2>Options</h2>
 * {@code level}: 0 to 9, default {@value #DEFAULT_LEVEL} (QEMU's default too). Level 0 stores
 * without compressing, so every packet travels raw. No other option is accepted.
 *
 * <h2>Wire format</h2>
 * The data of each encoded packet is exactly one complete zlib stream (RFC 1950: deflate data
 * and the Adler-32 of the raw bytes; no preset dictionary). Packets are independent. The
 * receiver inflates straight into the packet's targets, each bounded by its own size, and
 * refuses a stream that ends early, goes on beyond the raw length, needs a dictionary, fails
 * its Adler-32, or is followed by extra bytes.
 *
 * <h2>Why independent streams rather than QEMU's one stream per channel</h2>
 * QEMU keeps one deflate stream per channel and ends each packet with a sync flush. Deflate's
 * window is 32 KiB, so with 512 KiB packets a stream kept across packets helps only the first
 * 32 KiB of each packet, while independent streams make the raw fallback trivial (no RESET)
 * and let the receiver check each packet's Adler-32 on its own. The cost is a {@code reset()}
 * and a 6-byte header and trailer per packet, which costs next to nothing in ratio or speed;
 * the measurements are in {@code docs/performance.md} (section "Codecs").
 *
 * <p>Thread-safe and stateless: one instance serves every channel. Found by
 * {@link java.util.ServiceLoader}.
 */
// "exports": @AutoService is CLASS-retained, read only by the annotation processor at build time
@SuppressWarnings("exports")
@AutoService(Codec.class)
public final class ZlibCodec implements Codec {

    /** The wire id. */
    public static final int ID = 3;
    /** The name users select it by. */
    public static final String NAME = "zlib";
    /** The level used when none is given. */
    public static final int DEFAULT_LEVEL = 1;
    /** The smallest level (stored, no compression). */
    public static final int MIN_LEVEL = 0;
    /** The largest level. */
    public static final int MAX_LEVEL = 9;

    /** The provider {@link java.util.ServiceLoader} instantiates. */
    public ZlibCodec() {
    }

    /** Returns {@value #ID}. */
    @Override
    public int id() {
        return ID;
    }

    /** Returns {@value #NAME}. */
    @Override
    public String name() {
        return NAME;
    }

    /**
     * Accepts only {@code level}, from {@value #MIN_LEVEL} to {@value #MAX_LEVEL}. Any thread.
     *
     * @param options the options
     * @throws IllegalArgumentException naming the option and the accepted range
     */
    @Override
    public void validate(CodecOptions options) {
        Options.level(NAME, options, MIN_LEVEL, MAX_LEVEL, DEFAULT_LEVEL);
    }

    /**
     * Makes the encoder of one sending channel: a {@link java.util.zip.Deflater} and two direct
     * buffers of {@code context.maxDataLength()} bytes, owned by the encoder until it is closed.
     * Called on that channel's thread.
     *
     * @param options the options (checked again here)
     * @param context the channel and its limits
     * @return an encoder confined to the calling thread
     */
    @Override
    public CodecEncoder newEncoder(CodecOptions options, CodecContext context) throws IOException {
        return new ZlibLib.Encoder(context, Options.level(NAME, options, MIN_LEVEL, MAX_LEVEL, DEFAULT_LEVEL));
    }

    /**
     * Makes the decoder of one receiving channel: an {@link java.util.zip.Inflater} and a direct
     * input buffer of {@code context.maxDataLength()} bytes, owned by the decoder until it is
     * closed. Called on that channel's thread.
     *
     * @param options the sender's options (checked here; the level does not matter to decoding)
     * @param context the channel and its limits
     * @return a decoder confined to the calling thread
     */
    @Override
    public CodecDecoder newDecoder(CodecOptions options, CodecContext context) throws IOException {
        validate(options);
        return new ZlibLib.Decoder(context);
    }

    @Override
    public String toString() {
        return "ZlibCodec[id=" + ID + ", JDK zlib]";
    }
}
