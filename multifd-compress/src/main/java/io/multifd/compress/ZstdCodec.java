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
import io.multifd.api.PluginUnavailableException;
import io.multifd.api.spi.CodecContext;
import io.multifd.api.spi.CodecDecoder;
import io.multifd.api.spi.CodecEncoder;
import io.multifd.api.spi.Codec;
import io.multifd.compress.internal.NativeProbe;
import io.multifd.compress.internal.Options;
import io.multifd.compress.internal.ZstdLib;

import java.io.IOException;

/**
 * The {@code zstd} codec (wire id {@value #ID}): Zstandard through zstd-jni's native library.
 *
 * <h2>Options</h2>
 * {@code level}: {@value #MIN_LEVEL} to {@value #MAX_LEVEL}, default {@value #DEFAULT_LEVEL}
 * (QEMU's default too). Negative levels are zstd's fast modes, 0 means zstd's own default (3),
 * 20 to 22 are slow and need much memory. No other option is accepted.
 *
 * <h2>Wire format</h2>
 * The data of each encoded packet is exactly one zstd frame (RFC 8878) that records its content
 * size, without checksum and without dictionary; packets are independent of each other. The
 * receiver decodes it in one shot, into the packet's targets (a single direct target directly,
 * otherwise through a per-channel buffer), and refuses any input that does not decode to
 * exactly the packet's raw length. Integrity of the encoded bytes is the protocol's data CRC.
 *
 * <h2>Why independent frames rather than QEMU's one stream per channel</h2>
 * QEMU keeps one {@code ZSTD_CStream} per channel and flushes it at the end of each packet, so
 * later packets can refer to earlier ones. Here every packet is one frame made with a reused
 * context ({@code ZSTD_compress2}), because:
 * <ul>
 *   <li>a packet that does not shrink travels raw; with a stream kept across packets the
 *       encoder would have to restart its stream and flag the next packet RESET, a path that
 *       runs rarely and is easy to get wrong; independent frames cannot desynchronize;</li>
 *   <li>one-shot decoding writes only into the destination, bounded by the raw length: a
 *       streaming decoder needs a window buffer whose size the (hostile) frame header claims,
 *       up to 128 MiB unless capped;</li>
 *   <li>the stream buys little at the packet sizes used (512 KiB packets are already as large
 *       as zstd's level-1 window) and costs speed: flushed per packet, it goes through zstd's
 *       buffered streaming path. The measurements are in {@code docs/performance.md}
 *       (section "Codecs").</li>
 * </ul>
 *
 * <h2>Native library</h2>
 * The library is probed the first time this codec is selected ({@link #checkAvailable()}, or
 * making an encoder or decoder): if it cannot load here the failure is logged once and every
 * call throws {@link PluginUnavailableException} with the original error as cause. The other
 * codecs are not affected.
 *
 * <p>Thread-safe and stateless apart from that remembered probe result: one instance serves
 * every channel. Found by {@link java.util.ServiceLoader} (module {@code provides} and
 * {@code META-INF/services}).
 */
// "exports": @AutoService is CLASS-retained, read only by the annotation processor at build time
@SuppressWarnings("exports")
@AutoService(Codec.class)
public final class ZstdCodec implements Codec {

    /** The wire id. */
    public static final int ID = 1;
    /** The name users select it by. */
    public static final String NAME = "zstd";
    /** The level used when none is given. */
    public static final int DEFAULT_LEVEL = 1;
    /** The smallest level (zstd's {@code ZSTD_minCLevel()}). */
    public static final int MIN_LEVEL = ZstdLib.MIN_LEVEL;
    /** The largest level (zstd's {@code ZSTD_maxCLevel()}). */
    public static final int MAX_LEVEL = ZstdLib.MAX_LEVEL;

    private static final String NATIVE_LIBRARY = "the native library of " + ZstdLib.LIBRARY;

    /** The JVM-wide probe, made on first use so that loading this class never touches native code. */
    private static final class Shared {
        static final NativeProbe PROBE = new NativeProbe(NAME, NATIVE_LIBRARY, true, ZstdLib::probe);
    }

    private final NativeProbe probe;

    /** The provider {@link java.util.ServiceLoader} instantiates; shares the JVM-wide probe. */
    public ZstdCodec() {
        this.probe = null;
    }

    /** Test seam: a codec whose native probe runs {@code probe} instead of loading zstd-jni. */
    ZstdCodec(NativeProbe.Action probe) {
        this.probe = new NativeProbe(NAME, NATIVE_LIBRARY, true, probe);
    }

    NativeProbe probe() {
        return probe != null ? probe : Shared.PROBE;
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
     * Loads and tests zstd-jni's native library the first time; remembers the result.
     *
     * @throws PluginUnavailableException naming {@code zstd}, with the load failure as cause
     */
    @Override
    public void checkAvailable() throws PluginUnavailableException {
        probe().check();
    }

    /**
     * Accepts only {@code level}, from {@value #MIN_LEVEL} to {@value #MAX_LEVEL}. Needs no native
     * code. Any thread.
     *
     * @param options the options
     * @throws IllegalArgumentException naming the option and the accepted range
     */
    @Override
    public void validate(CodecOptions options) {
        Options.level(NAME, options, MIN_LEVEL, MAX_LEVEL, DEFAULT_LEVEL);
    }

    /**
     * Makes the encoder of one sending channel: a native compression context and two direct
     * buffers of about {@code context.maxDataLength()} bytes each, all owned by the encoder until
     * it is closed. Called on that channel's thread.
     *
     * @param options the options (checked again here)
     * @param context the channel and its limits
     * @return an encoder confined to the calling thread
     * @throws PluginUnavailableException if the native library does not work here
     */
    @Override
    public CodecEncoder newEncoder(CodecOptions options, CodecContext context) throws IOException {
        checkAvailable();
        return new ZstdLib.Encoder(context, Options.level(NAME, options, MIN_LEVEL, MAX_LEVEL, DEFAULT_LEVEL));
    }

    /**
     * Makes the decoder of one receiving channel: a native decompression context and two direct
     * buffers of {@code context.maxDataLength()} bytes, owned by the decoder until it is closed.
     * Called on that channel's thread.
     *
     * @param options the sender's options (checked here; the level does not matter to decoding)
     * @param context the channel and its limits
     * @return a decoder confined to the calling thread
     * @throws PluginUnavailableException if the native library does not work here
     */
    @Override
    public CodecDecoder newDecoder(CodecOptions options, CodecContext context) throws IOException {
        checkAvailable();
        validate(options);
        return new ZstdLib.Decoder(context);
    }

    @Override
    public String toString() {
        return "ZstdCodec[id=" + ID + ", " + ZstdLib.LIBRARY + "]";
    }
}
