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
import io.multifd.api.spi.CodecEncoder;
import io.multifd.api.spi.Codec;
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
 * Why the codecs compress each packet independently: the same batches through QEMU's design (one
 * stream per channel, flushed per packet; {@link StreamingAlternative}) and through the codecs
 * (one frame per packet), compress and decompress, on the same pages in the same run. Ratios
 * come from {@link CodecRatios}. One operation is one 512 KiB batch.
 *
 * <p>Run: {@code java -jar multifd-bench/target/benchmarks.jar StreamVsFrameBenchmark}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx2g"})
public class StreamVsFrameBenchmark {

    /** {@code codec:level:mode}, mode {@code frame} (the codecs) or {@code stream} (QEMU's design). */
    @Param({"zstd:1:frame", "zstd:1:stream", "zlib:1:frame", "zlib:1:stream"})
    public String variant;

    private ByteBuffer[][] pageViews;
    private CodecEncoder frameEncoder;
    private StreamingAlternative stream;
    private StreamingAlternative decodeStream;
    private ByteBuffer[] streamPackets;
    private final CodecBenchmark.Sink sink = new CodecBenchmark.Sink();
    private ByteBuffer target;
    private int next;
    private int nextDecode;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        String[] p = variant.split(":");
        int level = Integer.parseInt(p[1]);
        MixedImage image = MixedImage.generate(MixedImage.BATCHES, MixedImage.SEED);
        int n = image.batches();
        pageViews = new ByteBuffer[n][MixedImage.PAGES_PER_BATCH];
        for (int b = 0; b < n; b++) {
            for (int i = 0; i < MixedImage.PAGES_PER_BATCH; i++) {
                pageViews[b][i] = image.pages().slice((b * MixedImage.PAGES_PER_BATCH + i) * MixedImage.PAGE,
                        MixedImage.PAGE);
            }
        }
        target = ByteBuffer.allocateDirect(MixedImage.BATCH);
        if (p[2].equals("frame")) {
            Codec codec = CodecBenchmark.codec(p[0]);
            frameEncoder = codec.newEncoder(CodecOptions.level(level), new CodecBenchmark.Context(MixedImage.BATCH));
        } else {
            stream = new StreamingAlternative(p[0], level);
            // one encoded stream of all batches, decoded in order in decompress()
            StreamingAlternative enc = new StreamingAlternative(p[0], level);
            streamPackets = new ByteBuffer[n];
            for (int b = 0; b < n; b++) {
                ByteBuffer e = enc.compress(pageViews[b]);
                streamPackets[b] = ByteBuffer.allocateDirect(e.remaining()).put(e).flip();
            }
            enc.close();
            decodeStream = new StreamingAlternative(p[0], level);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (frameEncoder != null) {
            frameEncoder.close();
        } else {
            stream.close();
            decodeStream.close();
        }
    }

    /** Compresses the next batch (restarting the stream when the image starts over). */
    @Benchmark
    public int compress() throws IOException {
        ByteBuffer[] data = pageViews[next];
        if (next == 0 && stream != null) {
            stream.reset();
        }
        next = next + 1 == pageViews.length ? 0 : next + 1;
        if (frameEncoder != null) {
            return frameEncoder.encode(data, 0, data.length, MixedImage.BATCH, sink) ? sink.encoded.remaining() : 0;
        }
        return stream.compress(data).remaining();
    }

    /** Decompresses the next batch of the stream, in order (stream mode only). */
    @Benchmark
    public ByteBuffer decompressStream() {
        if (decodeStream == null) {
            return target; // frame mode: measured by CodecBenchmark.decompress
        }
        if (nextDecode == 0) {
            decodeStream.reset();
        }
        ByteBuffer e = streamPackets[nextDecode].duplicate();
        nextDecode = nextDecode + 1 == streamPackets.length ? 0 : nextDecode + 1;
        target.clear();
        decodeStream.decompress(e, target);
        return target;
    }
}
