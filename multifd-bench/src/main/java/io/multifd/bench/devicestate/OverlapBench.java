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
package io.multifd.bench.devicestate;

import io.multifd.api.MigrationStats;
import io.multifd.api.MultiFdConfig;
import io.multifd.core.MultiFdReceiver;
import io.multifd.core.MultiFdSender;
import io.multifd.core.PluginRegistry;
import io.multifd.core.transport.TcpTransport;
import io.multifd.devicestate.DeviceStateLoader;
import io.multifd.devicestate.DeviceStatePayload;
import io.multifd.devicestate.DeviceStateSaver;
import io.multifd.ram.RamBlock;
import io.multifd.ram.RamDestination;
import io.multifd.ram.RamPayload;
import io.multifd.ram.RamSaver;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.CRC32C;

/**
 * End-to-end overlap benchmark: RAM and device state in one migration against each alone.
 *
 * <p>One JVM runs both ends over TCP loopback. Scenarios, at each channel count:
 * <ul>
 *   <li>{@code ram}: one pre-copy round of a RAM block (random pages, so no zero-page shortcut);</li>
 *   <li>{@code dev}: device state produced at a fixed rate (default 200 MiB/s in total) by
 *       several devices, each on its own thread, streamed through {@link DeviceStateSaver};</li>
 *   <li>{@code both}: the two at once, on the same channels.</li>
 * </ul>
 * The overlapped time should be close to the longer of the two, not their sum. Time is measured
 * from after {@code connect()} until {@code finish()} returned (the receiver confirmed: every
 * page written, every loader completed). Loaders compute a CRC32C of their bytes, which is
 * checked, as is the destination RAM, after every run (outside the timing).
 *
 * <pre>
 * java -cp multifd-bench/target/benchmarks.jar io.multifd.bench.devicestate.OverlapBench \
 *      [--channels 2,4] [--ram-mib 1024] [--dev-mib 400] [--devices 4] [--rate-mib 200] [--reps 3]
 * </pre>
 */
public final class OverlapBench {

    private static final PrintStream OUT = System.out;

    private OverlapBench() {
    }

    /** Options. */
    record Options(int[] channels, long ramBytes, long devBytes, int devices, long rateBytesPerSecond, int reps) {
    }

    /**
     * Runs the benchmark and prints a table.
     *
     * @param args options, see the class documentation
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        Options o = parse(args);
        OUT.printf(Locale.ROOT, "# OverlapBench: RAM %d MiB, device state %d MiB in %d devices at %d MiB/s, %d reps (median), %s%n",
                o.ramBytes() >> 20, o.devBytes() >> 20, o.devices(), o.rateBytesPerSecond() >> 20, o.reps(),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.version") + ", "
                        + Runtime.getRuntime().availableProcessors() + " cpus");
        RamBlock source = RamBlock.allocate("pc.ram", o.ramBytes());
        SplittableRandom r = new SplittableRandom(1);
        for (long off = 0; off < o.ramBytes(); off += 8) {
            source.putLong(off, r.nextLong() | 1);
        }
        long sourceCrc = crc(source);
        RamBlock destination = RamBlock.allocate("pc.ram", o.ramBytes());
        byte[] pattern = new byte[1 << 20];
        new SplittableRandom(2).nextBytes(pattern);

        OUT.println("| channels | scenario | total (s) | RAM pass done (s) | device saves done (s) | RAM alone + dev alone (s) | max of alone (s) | total / max |");
        OUT.println("|---|---|---|---|---|---|---|---|");
        for (int ch : o.channels()) {
            run(o, ch, true, true, source, destination, sourceCrc, pattern);   // warm-up, not reported
            double[] ram = median(o, ch, true, false, source, destination, sourceCrc, pattern);
            double[] dev = median(o, ch, false, true, source, destination, sourceCrc, pattern);
            double[] both = median(o, ch, true, true, source, destination, sourceCrc, pattern);
            row(ch, "RAM alone", ram, 0, 0);
            row(ch, "device state alone", dev, 0, 0);
            row(ch, "RAM + device state", both, ram[0] + dev[0], Math.max(ram[0], dev[0]));
        }
    }

    private static void row(int ch, String name, double[] t, double sum, double max) {
        OUT.printf(Locale.ROOT, "| %d | %s | %.2f | %s | %s | %s | %s | %s |%n", ch, name, t[0],
                t[1] == 0 ? "-" : String.format(Locale.ROOT, "%.2f", t[1]),
                t[2] == 0 ? "-" : String.format(Locale.ROOT, "%.2f", t[2]),
                sum == 0 ? "-" : String.format(Locale.ROOT, "%.2f", sum),
                max == 0 ? "-" : String.format(Locale.ROOT, "%.2f", max),
                max == 0 ? "-" : String.format(Locale.ROOT, "%.2f", t[0] / max));
    }

    /** Runs {@code reps} times; returns the run with the median total time. */
    private static double[] median(Options o, int ch, boolean ram, boolean dev, RamBlock src, RamBlock dst, long srcCrc,
                                   byte[] pattern) throws Exception {
        double[][] t = new double[o.reps()][];
        for (int i = 0; i < t.length; i++) {
            t[i] = run(o, ch, ram, dev, src, dst, srcCrc, pattern);
        }
        Arrays.sort(t, (a, b) -> Double.compare(a[0], b[0]));
        return t[t.length / 2];
    }

    /** One migration; returns seconds from after connect: {finish returned, RAM pass done, device saves done}. */
    private static double[] run(Options o, int channels, boolean withRam, boolean withDev, RamBlock src, RamBlock dst,
                              long srcCrc, byte[] pattern) throws Exception {
        MultiFdConfig config = MultiFdConfig.builder().channels(channels).build();
        ConcurrentHashMap<String, CrcLoader> loaders = new ConcurrentHashMap<>();
        DeviceStatePayload devicesIn = DeviceStatePayload.builder().loaderFactory((id, inst) -> {
            CrcLoader l = new CrcLoader();
            loaders.put(id, l);
            return l;
        }).build();
        long perDevice = o.devBytes() / o.devices();
        long[] expectedCrc = new long[o.devices()];
        try (TcpTransport.Listener listener = TcpTransport.listen(new InetSocketAddress("127.0.0.1", 0));
             MultiFdReceiver receiver = MultiFdReceiver.builder(config, listener).registry(PluginRegistry.builder()
                     .discover().add(RamPayload.receiving(RamDestination.of(dst))).add(devicesIn).build()).build();
             MultiFdSender sender = MultiFdSender.builder(config, TcpTransport.connector(listener.localAddress()))
                     .registry(PluginRegistry.discover()).build()) {
            receiver.start();
            RamSaver ram = withRam ? RamSaver.open(sender, src) : null;
            DeviceStateSaver devices = withDev ? DeviceStateSaver.open(sender) : null;
            sender.connect();
            ExecutorService pool = Executors.newFixedThreadPool(1 + o.devices());
            long start = System.nanoTime();
            long[] ramDone = new long[1];
            try {
                List<Future<?>> work = new ArrayList<>();
                if (withRam) {
                    work.add(pool.submit(() -> {
                        ram.saveAll();     // every page handed to the channels, then a sync
                        ramDone[0] = System.nanoTime();
                        return null;
                    }));
                }
                if (withDev) {
                    long perDeviceRate = o.rateBytesPerSecond() / o.devices();
                    for (int d = 0; d < o.devices(); d++) {
                        int dev = d;
                        work.add(pool.submit(() -> {
                            expectedCrc[dev] = produce(devices, "dev" + dev, perDevice, perDeviceRate, pattern, start);
                            return null;
                        }));
                    }
                }
                long devDone = start;
                for (int i = 0; i < work.size(); i++) {
                    work.get(i).get(10, TimeUnit.MINUTES);
                    if (i >= (withRam ? 1 : 0)) {
                        devDone = Math.max(devDone, System.nanoTime());
                    }
                }
                MigrationStats stats = sender.finish();
                double seconds = (System.nanoTime() - start) / 1e9;
                double[] result = {seconds, withRam ? (ramDone[0] - start) / 1e9 : 0, withDev ? (devDone - start) / 1e9 : 0};
                receiver.await(Duration.ofSeconds(60));
                if (withRam && crc(dst) != srcCrc) {
                    throw new AssertionError("RAM differs after the migration");
                }
                for (int d = 0; withDev && d < o.devices(); d++) {
                    CrcLoader l = loaders.get("dev" + d);
                    if (l == null || l.bytes != perDevice || l.crc.getValue() != expectedCrc[d]) {
                        throw new AssertionError("device dev" + d + " differs after the migration");
                    }
                }
                if (withRam) {
                    clear(dst);
                }
                if (stats.packets() == 0) {
                    throw new AssertionError("nothing sent");
                }
                return result;
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /** Writes {@code total} bytes of state at {@code rate} bytes/s (paced from {@code start}); returns their CRC32C. */
    private static long produce(DeviceStateSaver saver, String id, long total, long rate, byte[] pattern, long start)
            throws IOException {
        CRC32C crc = new CRC32C();
        int chunk = 256 << 10;
        saver.save(id, 0, (OutputStream out) -> {
            long written = 0;
            while (written < total) {
                long due = start + (long) (written * 1e9 / rate);
                long wait;
                while ((wait = due - System.nanoTime()) > 0) {
                    LockSupport.parkNanos(wait);   // pacing the producer, not synchronization
                }
                int n = (int) Math.min(chunk, total - written);
                int from = (int) (written % (pattern.length - chunk));
                out.write(pattern, from, n);
                crc.update(pattern, from, n);
                written += n;
            }
        });
        return crc.getValue();
    }

    /** A loader that touches every byte (CRC32C). */
    static final class CrcLoader implements DeviceStateLoader {
        final CRC32C crc = new CRC32C();
        volatile long bytes;

        @Override
        public void load(ByteBuffer buffer) {
            bytes += buffer.remaining();
            crc.update(buffer);
        }
    }

    private static long crc(RamBlock b) {
        CRC32C c = new CRC32C();
        for (long off = 0; off < b.length(); off += 1 << 20) {
            c.update(b.slice(off, (int) Math.min(1 << 20, b.length() - off)));
        }
        return c.getValue();
    }

    private static void clear(RamBlock b) {
        byte[] zero = new byte[1 << 20];
        for (long off = 0; off < b.length(); off += zero.length) {
            b.put(off, zero, 0, (int) Math.min(zero.length, b.length() - off));
        }
    }

    private static Options parse(String[] args) {
        int[] channels = {2, 4};
        long ram = 1024L << 20;
        long dev = 400L << 20;
        int devices = 4;
        long rate = 200L << 20;
        int reps = 3;
        for (int i = 0; i < args.length; i += 2) {
            String v = i + 1 < args.length ? args[i + 1] : "";
            switch (args[i]) {
                case "--channels" -> channels = Arrays.stream(v.split(",")).mapToInt(Integer::parseInt).toArray();
                case "--ram-mib" -> ram = Long.parseLong(v) << 20;
                case "--dev-mib" -> dev = Long.parseLong(v) << 20;
                case "--devices" -> devices = Integer.parseInt(v);
                case "--rate-mib" -> rate = Long.parseLong(v) << 20;
                case "--reps" -> reps = Integer.parseInt(v);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (--channels --ram-mib --dev-mib --devices --rate-mib --reps)");
            }
        }
        return new Options(channels, ram, dev, devices, rate, reps);
    }
}
