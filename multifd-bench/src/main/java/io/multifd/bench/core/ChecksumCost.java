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
package io.multifd.bench.core;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;

/**
 * What the data checksum costs the sender per GiB of raw pages, in CPU seconds of one thread
 * (steadier than wall time on a shared machine): the CRC32C over data where it lies (what stable
 * data and a codec's output cost, {@code --checksum encoded}), and the copy into the staging
 * buffer plus the CRC32C (what live RAM pages cost with {@code --checksum all}). Packets of
 * 512 KiB, the RAM payload's default batch, from a random image in direct memory (as the RAM
 * saver reads it), like the channel thread does it.
 *
 * <pre>
 * java -cp multifd-bench/target/benchmarks.jar io.multifd.bench.core.ChecksumCost [GiB] [repeats]
 * </pre>
 * Prints the median of the repeats for each variant.
 */
public final class ChecksumCost {

    private ChecksumCost() {
    }

    public static void main(String[] args) {
        int gib = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int repeats = args.length > 1 ? Integer.parseInt(args[1]) : 7;
        int packet = 512 << 10;
        ByteBuffer image = ByteBuffer.allocateDirect(gib << 30);
        SplittableRandom r = new SplittableRandom(42);
        while (image.remaining() >= 8) {
            image.putLong(r.nextLong());
        }
        ByteBuffer staging = ByteBuffer.allocateDirect(packet);
        CRC32C crc = new CRC32C();
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        double[] crcOnly = new double[repeats];
        double[] copyAndCrc = new double[repeats];
        long sink = 0;
        for (int rep = -2; rep < repeats; rep++) { // two warm-up passes
            long t0 = mx.getCurrentThreadCpuTime();
            for (int off = 0; off + packet <= image.capacity(); off += packet) {
                crc.reset();
                crc.update(image.slice(off, packet));
                sink += crc.getValue();
            }
            long t1 = mx.getCurrentThreadCpuTime();
            for (int off = 0; off + packet <= image.capacity(); off += packet) {
                staging.clear();
                staging.put(0, image, off, packet);
                crc.reset();
                crc.update(staging.slice(0, packet));
                sink += crc.getValue();
            }
            long t2 = mx.getCurrentThreadCpuTime();
            if (rep >= 0) {
                crcOnly[rep] = (t1 - t0) / 1e9 / gib;
                copyAndCrc[rep] = (t2 - t1) / 1e9 / gib;
            }
        }
        Arrays.sort(crcOnly);
        Arrays.sort(copyAndCrc);
        System.out.printf(Locale.ROOT, "CPU s/GiB, median of %d: CRC32C only %.3f; copy to staging + CRC32C %.3f"
                + " (checksum %d)%n", repeats, crcOnly[repeats / 2], copyAndCrc[repeats / 2], sink & 1);
    }
}
