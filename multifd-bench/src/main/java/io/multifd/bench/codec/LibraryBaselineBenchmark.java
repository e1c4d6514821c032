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

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;
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

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * The libraries called directly, without the codecs: the same batches compressed straight from
 * the image memory (no staging copy) and decompressed from one contiguous buffer of frames, as
 * the CLIs do. The difference to {@link CodecBenchmark} is what the codecs add (mainly the
 * staging copy); the difference to the CLIs is the library build and version. One operation is
 * one 512 KiB batch.
 *
 * <p>Run: {@code java -jar multifd-bench/target/benchmarks.jar LibraryBaselineBenchmark}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx2g"})
public class LibraryBaselineBenchmark {

    /** Codec and level; lz4 level 0 is its fast compressor. */
    @Param({"zstd:1", "lz4:0"})
    public String codec;

    private ByteBuffer pages;
    private ByteBuffer frames;
    private int[] frameOffset;
    private int[] frameLength;
    private ByteBuffer out;
    private ByteBuffer target;
    private ZstdCompressCtx zc;
    private ZstdDecompressCtx zd;
    private LZ4Compressor lc;
    private LZ4SafeDecompressor ld;
    private int batches;
    private int next;
    private int nextDecode;

    @Setup(Level.Trial)
    public void setUp() {
        String[] p = codec.split(":");
        int level = Integer.parseInt(p[1]);
        MixedImage image = MixedImage.generate(MixedImage.BATCHES, MixedImage.SEED);
        pages = image.pages();
        batches = image.batches();
        int bound;
        if (p[0].equals("zstd")) {
            zc = new ZstdCompressCtx().setLevel(level).setChecksum(false);
            zd = new ZstdDecompressCtx();
            bound = (int) Zstd.compressBound(MixedImage.BATCH);
        } else {
            LZ4Factory f = LZ4Factory.nativeInstance();
            lc = level == 0 ? f.fastResetCompressor() : f.highFastResetCompressor(level);
            ld = f.safeDecompressor();
            bound = lc.maxCompressedLength(MixedImage.BATCH);
        }
        out = ByteBuffer.allocateDirect(bound);
        target = ByteBuffer.allocateDirect(MixedImage.BATCH);
        frames = ByteBuffer.allocateDirect(batches * bound);
        frameOffset = new int[batches];
        frameLength = new int[batches];
        int at = 0;
        for (int b = 0; b < batches; b++) {
            int n = compressInto(frames, at, bound, b);
            frameOffset[b] = at;
            frameLength[b] = n;
            at += n;
        }
    }

    private int compressInto(ByteBuffer dst, int at, int capacity, int batch) {
        int from = batch * MixedImage.BATCH;
        return zc != null
                ? zc.compressDirectByteBuffer(dst, at, capacity, pages, from, MixedImage.BATCH)
                : lc.compress(pages, from, MixedImage.BATCH, dst, at, capacity);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        if (zc != null) {
            zc.close();
            zd.close();
        } else if (lc instanceof AutoCloseable c) {
            c.close();
        }
    }

    /** Compresses the next batch straight from the image memory. */
    @Benchmark
    public int compress() {
        int b = next;
        next = next + 1 == batches ? 0 : next + 1;
        return compressInto(out, 0, out.capacity(), b);
    }

    /** Decompresses the next batch from the buffer of all frames into one 512 KiB target. */
    @Benchmark
    public int decompress() {
        int b = nextDecode;
        nextDecode = nextDecode + 1 == batches ? 0 : nextDecode + 1;
        return zd != null
                ? zd.decompressDirectByteBuffer(target, 0, MixedImage.BATCH, frames, frameOffset[b], frameLength[b])
                : ld.decompress(frames, frameOffset[b], frameLength[b], target, 0, MixedImage.BATCH);
    }
}
