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
import io.multifd.compress.internal.Lz4Lib;
import io.multifd.compress.internal.NativeProbe;
import io.multifd.compress.internal.Options;

import java.io.IOException;

/**
 * The {@code lz4} codec (wire id {@value #ID}): LZ4 through lz4-java, the maintained fork
 * {@code at.yawk.lz4:lz4-java} (never {@code org.lz4}, whose decompressors have
 * CVE-2025-12183).
 *
 * <h2>Options</h2>
 * {@code level}: {@value #FAST_LEVEL} selects the fast compressor, like {@code lz4 -1}; -N
 * ({@value #MIN_LEVEL} to -1) the fast compressor with acceleration N, like
 * {@code lz4 --fast=N} (faster, larger: it skips ahead sooner where it finds no match; -1 is 0;
 * only the native library has it, so the pure-Java fallback compresses every level up to 0 as 0).
 * The default is {@value #DEFAULT_LEVEL}: acceleration 3, a quarter faster than 0 for a few per
 * cent more bytes ({@code docs/design/0018-lz4-default-acceleration.md});
 * 1 to {@value #MAX_LEVEL} select the high-compression (HC) compressor at that level, like
 * {@code lz4 -N} (the native HC compressor treats 12 and above as 12). No other option is
 * accepted. The level only matters to the sender: every level decodes with the same decoder.
 *
 * <h2>Wire format</h2>
 * The data of each encoded packet is exactly one LZ4 block (the raw block format, without frame
 * or length prefix: the packet header gives the raw length). Packets are independent. Only the
 * safe decompressor ever reads received bytes; it is given the encoded length and an output
 * capacity of exactly the raw length, and a block that does not decode to exactly that many
 * bytes is refused. LZ4 blocks carry no checksum: integrity is the protocol's data CRC.
 *
 * <h2>Why independent blocks</h2>
 * LZ4's window is 64 KiB, so with 512 KiB packets a stream kept across packets could help only
 * the first 64 KiB of each; lz4-java offers no dependent-block API anyway (not tried). Blocks
 * stay independent, and a raw fallback never needs RESET.
 *
 * <h2>Native library</h2>
 * lz4-java's JNI library is probed the first time this codec is selected. If it cannot load, the
 * failure is logged once (naming the codec and the cause) and lz4-java's pure-Java
 * implementation is used instead: same wire format, safe on hostile input, slower. The codec is
 * unavailable ({@link PluginUnavailableException}) only if lz4-java itself cannot load.
 *
 * <p>Thread-safe and stateless apart from the remembered probe results: one instance serves
 * every channel. Found by {@link java.util.ServiceLoader}.
 */
// "exports": @AutoService is CLASS-retained, read only by the annotation processor at build time
@SuppressWarnings("exports")
@AutoService(Codec.class)
public final class Lz4Codec implements Codec {

    /** The wire id. */
    public static final int ID = 2;
    /** The name users select it by. */
    public static final String NAME = "lz4";
    /** The level of the fast compressor at acceleration 1, like {@code lz4 -1}. */
    public static final int FAST_LEVEL = Lz4Lib.FAST;
    /**
     * The level used when none is given: the fast compressor at acceleration 3. On the 1 GiB
     * mixed image it compresses about a quarter faster than acceleration 1 for 3.5 % more bytes
     * (docs/design/0018-lz4-default-acceleration.md).
     */
    public static final int DEFAULT_LEVEL = -3;
    /** The largest HC level. */
    public static final int MAX_LEVEL = Lz4Lib.MAX_LEVEL;
    /** The smallest level: acceleration 65537, LZ4's ceiling. */
    public static final int MIN_LEVEL = Lz4Lib.MIN_LEVEL;

    private static final String NATIVE_LIBRARY = "the native library of " + Lz4Lib.LIBRARY;

    /** JVM-wide probes, made on first use. */
    private static final class Shared {
        static final NativeProbe JAVA = new NativeProbe(NAME, Lz4Lib.LIBRARY, true, Lz4Lib::probeJava);
        static final NativeProbe NATIVE = new NativeProbe(NAME, NATIVE_LIBRARY, false, Lz4Lib::probeNative);
    }

    private final NativeProbe javaProbe;
    private final NativeProbe nativeProbe;

    /** The provider {@link java.util.ServiceLoader} instantiates; shares the JVM-wide probes. */
    public Lz4Codec() {
        this.javaProbe = null;
        this.nativeProbe = null;
    }

    /**
     * Test seam: a codec whose probes run the given actions instead of loading lz4-java.
     *
     * @param javaProbe   stands for loading lz4-java at all (failure: the codec is unavailable)
     * @param nativeProbe stands for loading its JNI library (failure: pure-Java fallback)
     */
    Lz4Codec(NativeProbe.Action javaProbe, NativeProbe.Action nativeProbe) {
        this.javaProbe = new NativeProbe(NAME, Lz4Lib.LIBRARY, true, javaProbe);
        this.nativeProbe = new NativeProbe(NAME, NATIVE_LIBRARY, false, nativeProbe);
    }

    NativeProbe javaProbe() {
        return javaProbe != null ? javaProbe : Shared.JAVA;
    }

    NativeProbe nativeProbe() {
        return nativeProbe != null ? nativeProbe : Shared.NATIVE;
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
     * Loads lz4-java and probes its JNI library the first time; remembers both results. A native
     * failure is only logged (the pure-Java implementation is used).
     *
     * @throws PluginUnavailableException naming {@code lz4}, if lz4-java itself cannot load
     */
    @Override
    public void checkAvailable() throws PluginUnavailableException {
        javaProbe().check();
        nativeProbe().isAvailable();
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
     * Makes the encoder of one sending channel: a compressor (with the native library, a
     * per-channel state that must be closed) and two direct buffers of about
     * {@code context.maxDataLength()} bytes, owned by the encoder until it is closed. Called on
     * that channel's thread.
     *
     * @param options the options (checked again here)
     * @param context the channel and its limits
     * @return an encoder confined to the calling thread
     * @throws PluginUnavailableException if lz4-java cannot load
     */
    @Override
    public CodecEncoder newEncoder(CodecOptions options, CodecContext context) throws IOException {
        checkAvailable();
        int level = Options.level(NAME, options, MIN_LEVEL, MAX_LEVEL, DEFAULT_LEVEL);
        return new Lz4Lib.Encoder(context, level, nativeProbe().isAvailable());
    }

    /**
     * Makes the decoder of one receiving channel: the safe decompressor and two direct buffers of
     * {@code context.maxDataLength()} bytes, owned by the decoder until it is closed. Called on
     * that channel's thread.
     *
     * @param options the sender's options (checked here; the level does not matter to decoding)
     * @param context the channel and its limits
     * @return a decoder confined to the calling thread
     * @throws PluginUnavailableException if lz4-java cannot load
     */
    @Override
    public CodecDecoder newDecoder(CodecOptions options, CodecContext context) throws IOException {
        checkAvailable();
        validate(options);
        return new Lz4Lib.Decoder(context, nativeProbe().isAvailable());
    }

    @Override
    public String toString() {
        return "Lz4Codec[id=" + ID + ", " + Lz4Lib.LIBRARY + "]";
    }
}
