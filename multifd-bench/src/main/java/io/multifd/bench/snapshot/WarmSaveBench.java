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
package io.multifd.bench.snapshot;

import io.multifd.ram.RamBlock;
import io.multifd.ram.RamSaver;
import io.multifd.ram.snapshot.SnapshotStats;
import io.multifd.ram.snapshot.SnapshotWriter;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Snapshot saves of one image in one JVM, one after the other, so that the later ones run with
 * compiled code, as in a product that saves its memory more than once; {@code multifd save} runs
 * a fresh JVM each time. The image is mapped read-only (as {@code multifd save} maps it) and
 * faulted in by the first save; before each save the previous snapshot is deleted and
 * {@code sync} runs, outside the timing.
 *
 * <pre>
 * java -cp benchmarks.jar io.multifd.bench.snapshot.WarmSaveBench IMAGE SNAPSHOT [CHANNELS [SAVES]]
 * </pre>
 * One JSON line per save on stdout: {@code save_seconds} (from the first round's start to the
 * complete snapshot, as {@code multifd save} reports it) and {@code cpu_s} (the whole process's
 * user and system CPU over the same interval). Defaults: 2 channels, 6 saves.
 */
public final class WarmSaveBench {

    private WarmSaveBench() {
    }

    /**
     * Runs the saves.
     *
     * @param args IMAGE SNAPSHOT [CHANNELS [SAVES]]
     * @throws Exception if the image cannot be mapped or a save fails
     */
    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: WarmSaveBench IMAGE SNAPSHOT [CHANNELS [SAVES]]");
            System.exit(2);
        }
        Path image = Path.of(args[0]);
        Path snapshot = Path.of(args[1]);
        int channels = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        int saves = args.length > 3 ? Integer.parseInt(args[3]) : 6;
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        RamBlock block = RamBlock.map("pc.ram", image, Files.size(image), 4096, false);
        for (int i = 1; i <= saves; i++) {
            Files.deleteIfExists(snapshot);
            Process sync = new ProcessBuilder("sync").inheritIO().start();
            if (!sync.waitFor(120, TimeUnit.SECONDS)) {
                sync.destroy();
                throw new IllegalStateException("sync did not finish within 120 s");
            }
            SnapshotStats stats;
            long t0;
            long c0;
            try (SnapshotWriter w = SnapshotWriter.create(snapshot, channels)) {
                RamSaver saver = RamSaver.open(w.session(), List.of(block));
                c0 = os.getProcessCpuTime();
                t0 = System.nanoTime();
                saver.saveAll();
                stats = w.finish();
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            double cpu = (os.getProcessCpuTime() - c0) / 1e9;
            System.out.println(String.format(Locale.ROOT,
                    "{\"save\":%d,\"channels\":%d,\"save_seconds\":%.3f,\"cpu_s\":%.3f,\"normal_pages\":%d,\"zero_pages\":%d}",
                    i, channels, secs, cpu, stats.pages(), stats.zeroPages()));
        }
    }
}
