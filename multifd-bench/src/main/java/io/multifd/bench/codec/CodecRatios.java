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

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Locale;

/**
 * Prints the compression ratio of every codec and level on the non-zero pages of the
 * {@link MixedImage}, in 512 KiB batches, as a migration would send them: a batch that does not
 * shrink travels raw and counts at its raw size. Also the stream-per-channel alternative
 * ({@link StreamingAlternative}) for zstd and zlib.
 *
 * <p>Usage: {@code java -cp benchmarks.jar io.multifd.bench.codec.CodecRatios [batches] [seed]}
 */
public final class CodecRatios {

    private CodecRatios() {
    }

    /**
     * Prints one line per codec, level and framing: {@code codec level framing raw encoded ratio rawBatches}.
     *
     * @param args {@code [batches] [seed]}
     * @throws IOException if a codec fails
     */
    public static void main(String[] args) throws IOException {
        int batches = args.length > 0 ? Integer.parseInt(args[0]) : MixedImage.BATCHES;
        long seed = args.length > 1 ? Long.parseLong(args[1]) : MixedImage.SEED;
        MixedImage image = MixedImage.generate(batches, seed);
        int n = image.batches();
        ByteBuffer[][] views = new ByteBuffer[n][MixedImage.PAGES_PER_BATCH];
        for (int b = 0; b < n; b++) {
            for (int i = 0; i < MixedImage.PAGES_PER_BATCH; i++) {
                views[b][i] = image.pages().slice((b * MixedImage.PAGES_PER_BATCH + i) * MixedImage.PAGE, MixedImage.PAGE);
            }
        }
        long raw = (long) n * MixedImage.BATCH;
        System.out.printf(Locale.ROOT, "# %d batches of 512 KiB (%d bytes) of non-zero pages, seed %d%n", n, raw, seed);
        System.out.printf(Locale.ROOT, "%-5s %6s %-7s %12s %12s %7s %s%n", "codec", "level", "framing", "raw",
                "sent", "ratio", "raw-batches");
        String[] runs = {"zstd:-1", "zstd:1", "zstd:3", "zstd:9", "lz4:-4", "lz4:-3", "lz4:-2", "lz4:0", "lz4:3", "lz4:9", "zlib:1", "zlib:6", "zlib:9"};
        CodecBenchmark.Sink sink = new CodecBenchmark.Sink();
        for (String run : runs) {
            String[] p = run.split(":");
            int level = Integer.parseInt(p[1]);
            Codec codec = CodecBenchmark.codec(p[0]);
            long sent = 0;
            int rawBatches = 0;
            try (CodecEncoder enc = codec.newEncoder(CodecOptions.level(level), new CodecBenchmark.Context(MixedImage.BATCH))) {
                for (ByteBuffer[] v : views) {
                    if (enc.encode(v, 0, v.length, MixedImage.BATCH, sink)) {
                        sent += sink.encoded.remaining();
                    } else {
                        sent += MixedImage.BATCH;
                        rawBatches++;
                    }
                }
            }
            print(p[0], level, "frame", raw, sent, rawBatches);
            if (!p[0].equals("lz4") && (level == 1 || level == 3)) {
                try (StreamingAlternative s = new StreamingAlternative(p[0], level)) {
                    long st = 0;
                    for (ByteBuffer[] v : views) {
                        st += s.compress(v).remaining();
                    }
                    print(p[0], level, "stream", raw, st, 0);
                }
            }
        }
    }

    private static void print(String codec, int level, String framing, long raw, long sent, int rawBatches) {
        System.out.printf(Locale.ROOT, "%-5s %6d %-7s %12d %12d %7.3f %d%n", codec, level, framing, raw, sent,
                (double) raw / sent, rawBatches);
    }
}
