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
package io.multifd.bench.codec;

import io.multifd.api.CodecOptions;
import io.multifd.api.MalformedPacketException;
import io.multifd.api.ProtocolCode;
import io.multifd.api.spi.CodecContext;
import io.multifd.api.spi.CodecDecoder;
import io.multifd.api.spi.CodecEncoder;
import io.multifd.api.spi.IncomingPacket;
import io.multifd.api.spi.Codec;
import io.multifd.compress.Lz4Codec;
import io.multifd.compress.ZlibCodec;
import io.multifd.compress.ZstdCodec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * Compress and decompress speed of the {@code multifd-compress} codecs, through their public SPI
 * exactly as the core drives them, on the non-zero pages of a {@link MixedImage} in 512 KiB
 * batches (128 pages). One operation is one batch: MB/s = ops/s &times; 0.524288.
 *
 * <ul>
 *   <li>{@code compress}: {@code CodecEncoder.encode} of the next batch, given as 128 page views
 *       (as the RAM payload does); includes the encoder's staging copy.</li>
 *   <li>{@code decompress}: {@code CodecDecoder.decode} of the next batch into one 512 KiB direct
 *       target: the case the reference CLIs measure. One decoder per batch, each with its
 *       encoded bytes already in its input buffer (the core reads them from the network).</li>
 *   <li>{@code decompressPages}: the same into 128 page targets (as the RAM payload receives
 *       them): block codecs decode into a per-channel buffer and copy out.</li>
 * </ul>
 * Batches whose encoding would not shrink travel raw in a migration; they are still compressed
 * here (their cost is real) and skipped by the decompress benchmarks (counted in {@link #rawBatches}).
 *
 * <p>Run: {@code java -jar multifd-bench/target/benchmarks.jar CodecBenchmark -p codec=zstd:1}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx2g"})
public class CodecBenchmark {

    /** Codec and level, {@code name:level}; lz4 level 0 is its fast compressor. */
    @Param({"zstd:1", "zstd:3", "lz4:0", "lz4:9", "zlib:1", "zlib:6"})
    public String codec;

    /** Batches of non-zero pages in the image. */
    @Param({"96"})
    public int batches;

    private CodecEncoder encoder;
    private CodecDecoder[] decoders;
    private ByteBuffer[][] pageViews;
    private int[] encodedLength;
    private int[] decodable;
    private ByteBuffer oneTarget;
    private ByteBuffer[] oneTargetArray;
    private ByteBuffer[] pageTargets;
    private final Sink sink = new Sink();
    private final Packet packet = new Packet();
    private int next;
    private int nextDecode;
    /** Batches that do not shrink with this codec (they would travel raw). */
    public int rawBatches;

    static Codec codec(String name) {
        return switch (name) {
            case "zstd" -> new ZstdCodec();
            case "lz4" -> new Lz4Codec();
            case "zlib" -> new ZlibCodec();
            default -> throw new IllegalArgumentException("unknown codec " + name);
        };
    }

    /** The channel as the encoders see it: packets of at most one batch. */
    record Context(int maxDataLength) implements CodecContext {
        @Override
        public int channelId() {
            return 0;
        }

        @Override
        public int channelCount() {
            return 1;
        }
    }

    /** Keeps the encoder's output; allocation-free. */
    static final class Sink implements CodecEncoder.EncodeSink {
        ByteBuffer encoded;

        @Override
        public void encoded(ByteBuffer encoded, boolean streamReset) {
            this.encoded = encoded;
        }
    }

    /** The received packet as the decoders see it. */
    static final class Packet implements IncomingPacket {
        int rawLength = MixedImage.BATCH;

        @Override
        public int channelId() {
            return 0;
        }

        @Override
        public long sequence() {
            return 0;
        }

        @Override
        public long epoch() {
            return 0;
        }

        @Override
        public long streamOffset() {
            return 0;
        }

        @Override
        public ByteBuffer header() {
            return ByteBuffer.allocate(0);
        }

        @Override
        public int rawLength() {
            return rawLength;
        }

        @Override
        public MalformedPacketException malformed(String field, Object value, String reason) {
            return new MalformedPacketException(ProtocolCode.MALFORMED, 0, 0, field, value, reason);
        }

        @Override
        public void countItems(long items, long elidedItems) {
        }
    }

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        String[] p = codec.split(":");
        Codec codec = codec(p[0]);
        CodecOptions options = CodecOptions.level(Integer.parseInt(p[1]));
        codec.checkAvailable();
        codec.validate(options);
        Context ctx = new Context(MixedImage.BATCH);
        MixedImage image = MixedImage.generate(batches, MixedImage.SEED);
        ByteBuffer pages = image.pages();
        int n = image.batches();
        pageViews = new ByteBuffer[n][MixedImage.PAGES_PER_BATCH];
        for (int b = 0; b < n; b++) {
            for (int i = 0; i < MixedImage.PAGES_PER_BATCH; i++) {
                pageViews[b][i] = pages.slice((b * MixedImage.PAGES_PER_BATCH + i) * MixedImage.PAGE, MixedImage.PAGE);
            }
        }
        encoder = codec.newEncoder(options, ctx);
        decoders = new CodecDecoder[n];
        encodedLength = new int[n];
        int[] ok = new int[n];
        int okCount = 0;
        for (int b = 0; b < n; b++) {
            decoders[b] = codec.newDecoder(options, ctx);
            if (encoder.encode(pageViews[b], 0, MixedImage.PAGES_PER_BATCH, MixedImage.BATCH, sink)) {
                ByteBuffer e = sink.encoded;
                encodedLength[b] = e.remaining();
                ByteBuffer in = decoders[b].inputBuffer(e.remaining());
                in.put(e.duplicate());
                ok[okCount++] = b;
            } else {
                rawBatches++;
            }
        }
        decodable = java.util.Arrays.copyOf(ok, okCount);
        oneTarget = ByteBuffer.allocateDirect(MixedImage.BATCH);
        oneTargetArray = new ByteBuffer[]{oneTarget};
        ByteBuffer dest = ByteBuffer.allocateDirect(MixedImage.BATCH);
        pageTargets = new ByteBuffer[MixedImage.PAGES_PER_BATCH];
        for (int i = 0; i < pageTargets.length; i++) {
            pageTargets[i] = dest.slice(i * MixedImage.PAGE, MixedImage.PAGE);
        }
        verify();
    }

    /** Every decodable batch decodes to its pages, in both target layouts. */
    private void verify() throws IOException {
        for (int b : decodable) {
            oneTarget.clear();
            decode(b, oneTargetArray);
            for (int i = 0; i < MixedImage.PAGES_PER_BATCH; i++) {
                if (!oneTarget.slice(i * MixedImage.PAGE, MixedImage.PAGE).equals(pageViews[b][i])) {
                    throw new IllegalStateException(codec + ": batch " + b + " page " + i + " decoded wrong");
                }
            }
            resetPages();
            decode(b, pageTargets);
            for (int i = 0; i < MixedImage.PAGES_PER_BATCH; i++) {
                if (!pageTargets[i].flip().equals(pageViews[b][i])) {
                    throw new IllegalStateException(codec + ": batch " + b + " page " + i + " decoded wrong (pages)");
                }
            }
        }
    }

    private void resetPages() {
        for (ByteBuffer t : pageTargets) {
            t.clear();
        }
    }

    private void decode(int b, ByteBuffer[] targets) throws IOException {
        CodecDecoder d = decoders[b];
        ByteBuffer in = d.inputBuffer(encodedLength[b]); // same buffer, bytes kept: only the limit is set
        in.position(in.limit());
        d.decode(in, targets, 0, targets.length, MixedImage.BATCH, false, packet);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        encoder.close();
        for (CodecDecoder d : decoders) {
            d.close();
        }
    }

    /** Compresses the next batch; returns the encoded length (0 if it would travel raw). */
    @Benchmark
    public int compress() throws IOException {
        ByteBuffer[] data = pageViews[next];
        next = next + 1 == pageViews.length ? 0 : next + 1;
        return encoder.encode(data, 0, data.length, MixedImage.BATCH, sink) ? sink.encoded.remaining() : 0;
    }

    /** Decodes the next batch into one 512 KiB target. */
    @Benchmark
    public ByteBuffer decompress() throws IOException {
        int b = decodable[nextDecode];
        nextDecode = nextDecode + 1 == decodable.length ? 0 : nextDecode + 1;
        oneTarget.clear();
        decode(b, oneTargetArray);
        return oneTarget;
    }

    /** Decodes the next batch into 128 page targets. */
    @Benchmark
    public ByteBuffer[] decompressPages() throws IOException {
        int b = decodable[nextDecode];
        nextDecode = nextDecode + 1 == decodable.length ? 0 : nextDecode + 1;
        resetPages();
        decode(b, pageTargets);
        return pageTargets;
    }
}
