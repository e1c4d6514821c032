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
package io.multifd.bench.e2e;

import io.multifd.api.MultiFdConfig;
import io.multifd.core.MultiFdReceiver;
import io.multifd.core.MultiFdSender;
import io.multifd.core.PluginRegistry;
import io.multifd.core.transport.TcpTransport;
import io.multifd.devicestate.DeviceStateLoader;
import io.multifd.devicestate.DeviceStatePayload;
import io.multifd.devicestate.DeviceStateSaver;
import io.multifd.ram.DirtyBitmap;
import io.multifd.ram.PostCopy;
import io.multifd.ram.PostcopyAccess;
import io.multifd.ram.RamBlock;
import io.multifd.ram.RamDestination;
import io.multifd.ram.RamPayload;
import io.multifd.ram.RamSaver;
import io.multifd.ram.RoundListener;
import io.multifd.ram.RoundStats;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * The post-copy benchmark: one JVM, sender and receiver over loopback TCP, the mixed image in
 * pre-faulted memory on both sides. Each run, in this order:
 * <ol>
 *   <li><b>pre-copy</b>: one round of the whole image and finish, no dirtying (the reference for
 *       the total time);</li>
 *   <li><b>post-copy</b>: the switch-over at once ({@code --after-rounds 0}, the default: every page
 *       is sent exactly once, after the release), or after that many rounds in which writers
 *       dirty {@code --dirty-fraction} of the pages; a device state of {@code --device-state}
 *       bytes at the switch-over; reader threads requiring random pages at {@code --read-rate}
 *       per second from the release on;</li>
 *   <li><b>control</b>: the same with requests not prioritized and no in-flight window, so a
 *       requested page waits behind the background packets already queued.</li>
 * </ol>
 * Prints one JSON line per migration and a summary of medians.
 *
 * <pre>
 * java -cp benchmarks.jar io.multifd.bench.e2e.PostcopyBench --size 1g --channels 2 --runs 3
 * </pre>
 */
public final class PostcopyBench {

    private PostcopyBench() {
    }

    record Outcome(String mode, double seconds, double cpuSeconds, double downtimeMs, long missing, long requests,
                   double p50, double p99, double max, long waits, Map<String, Double> threadCpu, String slowest) {
    }

    /**
     * Runs the benchmark.
     *
     * @param args {@code --size N[g|m]}, {@code --channels N}, {@code --runs N}, {@code --device-state BYTES},
     *             {@code --dirty-fraction F}, {@code --readers N}, {@code --read-rate PAGES_PER_S},
     *             {@code --window PAGES}, {@code --background PAGES}, {@code --after-rounds N}, {@code --thread-cpu}
     *             (print each migration's CPU milliseconds per group of threads, Linux only), {@code --tail}
     *             (print each post-copy's eight slowest waits: when after the release, how long),
     *             {@code --reader-priority P} and {@code --migration-priority P} (Java priorities 1-10 of
     *             the readers and of every migration thread, see {@link Priorities})
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        long size = 1L << 30;
        int channels = 2;
        int runs = 3;
        long deviceState = 1L << 20;
        double dirtyFraction = 0.2;
        int readers = 2;
        long readRate = 2000;
        int window = 512;
        int background = 128;
        int afterRounds = 0;
        boolean threadCpu = false;
        boolean tail = false;
        Priorities prio = new Priorities(Thread.NORM_PRIORITY, Thread.NORM_PRIORITY);
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--size" -> size = parseSize(args[++i]);
                case "--channels" -> channels = Integer.parseInt(args[++i]);
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--device-state" -> deviceState = parseSize(args[++i]);
                case "--dirty-fraction" -> dirtyFraction = Double.parseDouble(args[++i]);
                case "--readers" -> readers = Integer.parseInt(args[++i]);
                case "--read-rate" -> readRate = Long.parseLong(args[++i]);
                case "--window" -> window = Integer.parseInt(args[++i]);
                case "--background" -> background = Integer.parseInt(args[++i]);
                case "--after-rounds" -> afterRounds = Integer.parseInt(args[++i]);
                case "--thread-cpu" -> threadCpu = true;
                case "--tail" -> tail = true;
                case "--reader-priority" -> prio = new Priorities(Integer.parseInt(args[++i]), prio.migration());
                case "--migration-priority" -> prio = new Priorities(prio.reader(), Integer.parseInt(args[++i]));
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Thread.currentThread().setPriority(prio.migration()); // the saver and the post-copy stream run here
        java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.WARNING); // one line per migration
        System.out.printf(Locale.ROOT, "# %d MiB mixed, %d channels, after %d rounds, window %d, background %d, "
                        + "device state %d bytes, %d readers at %d pages/s, Java %s%n", size >> 20, channels, afterRounds,
                window, background, deviceState, readers, readRate, System.getProperty("java.version"));
        RamBlock src = RamBlock.allocate("pc.ram", size);
        RamBlock dst = RamBlock.allocate("pc.ram", size);
        List<Outcome> all = new ArrayList<>();
        for (int run = 1; run <= runs; run++) {
            for (String mode : new String[]{"precopy", "postcopy", "control"}) {
                // a fresh fill before every migration, also when nothing dirtied the image: filling once per
                // series made the pre-copy measurably slower (performance notes, section 16.1)
                Roles.fill(src, "mixed");
                touch(dst);
                Outcome o = migrate(mode, src, dst, channels, deviceState, dirtyFraction, readers, readRate, run,
                        window, background, afterRounds, threadCpu, prio);
                all.add(o);
                System.out.printf(Locale.ROOT, "{\"run\":%d,\"mode\":\"%s\",\"seconds\":%.4f,\"cpu_s\":%.3f,\"downtime_ms\":%.3f,"
                                + "\"missing_pages\":%d,\"requests\":%d,\"waits\":%d,\"p50_ms\":%.3f,\"p99_ms\":%.3f,"
                                + "\"max_ms\":%.3f}%n", run, o.mode(), o.seconds(), o.cpuSeconds(), o.downtimeMs(), o.missing(),
                        o.requests(), o.waits(), o.p50(), o.p99(), o.max());
                if (tail && !o.slowest().isEmpty()) {
                    System.out.printf(Locale.ROOT, "{\"run\":%d,\"mode\":\"%s\",\"slowest_ms\":%s}%n", run, mode,
                            o.slowest());
                }
                if (threadCpu) {
                    System.out.printf(Locale.ROOT, "{\"run\":%d,\"mode\":\"%s\",\"thread_cpu_ms\":%s}%n", run, mode,
                            ThreadCpu.json(o.threadCpu()));
                }
            }
        }
        double pre = median(all, "precopy", Outcome::seconds);
        double post = median(all, "postcopy", Outcome::seconds);
        double p99 = median(all, "postcopy", Outcome::p99);
        double p99c = median(all, "control", Outcome::p99);
        System.out.printf(Locale.ROOT, "medians: CPU precopy %.2f s, postcopy %.2f s, control %.2f s%n",
                median(all, "precopy", Outcome::cpuSeconds), median(all, "postcopy", Outcome::cpuSeconds),
                median(all, "control", Outcome::cpuSeconds));
        System.out.printf(Locale.ROOT, "medians: precopy %.3f s, postcopy %.3f s (%.2fx), downtime %.2f ms, "
                        + "p50 %.3f ms, p99 %.3f ms, max %.3f ms; control p50 %.3f ms, p99 %.3f ms (%.1fx the p99)%n",
                pre, post, post / pre, median(all, "postcopy", Outcome::downtimeMs), median(all, "postcopy", Outcome::p50),
                p99, median(all, "postcopy", Outcome::max), median(all, "control", Outcome::p50), p99c, p99c / p99);
    }

    private static Outcome migrate(String mode, RamBlock src, RamBlock dst, int channels, long deviceState,
                                   double dirtyFraction, int readerCount, long readRate, long seed, int window,
                                   int background, int afterRounds, boolean threadCpu, Priorities prio)
            throws Exception {
        MultiFdConfig config = MultiFdConfig.builder().channels(channels).build();
        PostcopyAccess access = new PostcopyAccess();
        TcpTransport.Listener l = TcpTransport.listen(new InetSocketAddress("127.0.0.1", 0));
        PluginRegistry rx = PluginRegistry.builder().discover()
                .add(RamPayload.builder().destination(RamDestination.of(dst)).postcopy(access).build())
                .add(DeviceStatePayload.builder().loaderFactory((id, instance) -> new Discard()).build()).build();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> readers = new ArrayList<>();
        // the readers' waits over 1 ms: [ms after the release the call began, ms it took]
        java.util.Queue<double[]> slow = new java.util.concurrent.ConcurrentLinkedQueue<>();
        try (MultiFdReceiver receiver = MultiFdReceiver.builder(config, l).registry(rx)
                .threadFactory(prio.migrationThreads()).build().start();
             MultiFdSender sender = MultiFdSender.builder(config, TcpTransport.connector(l.localAddress()))
                     .registry(PluginRegistry.discover()).threadFactory(prio.migrationThreads()).build()) {
            boolean post = !mode.equals("precopy");
            RamSaver saver = post ? RamSaver.openForPostcopy(sender, List.of(src)) : RamSaver.open(sender, List.of(src));
            DeviceStateSaver devices = DeviceStateSaver.open(sender);
            long t0 = System.nanoTime();
            long cpu0 = Roles.cpuNanos();
            ThreadCpu threads = threadCpu ? ThreadCpu.start() : null;
            sender.connect();
            PostCopy.Result result = null;
            if (!post) {
                saver.saveAll();
                devices.save("cpu", 0, new byte[(int) deviceState]);
            } else {
                for (int i = 0; i < readerCount; i++) {
                    long s = seed * 31 + i;
                    Thread t = new Thread(() -> read(access, dst, readRate / readerCount, s, stop, slow), "reader-" + i);
                    t.setDaemon(true);
                    t.setPriority(prio.reader());
                    readers.add(t);
                    t.start();
                }
                DirtyBitmap dirty = new DirtyBitmap(src);
                long dirtyPages = (long) (src.pageCount() * dirtyFraction);
                saver.roundListener(new RoundListener() {
                    @Override
                    public void onRoundFinished(RoundStats stats) { // what writers did during round 1
                        SplittableRandom r = new SplittableRandom(seed);
                        for (long i = 0; i < dirtyPages; i++) {
                            long off = r.nextLong(src.pageCount()) * src.pageSize();
                            src.putLong(off, src.getLong(off) + 1);
                            dirty.mark(off);
                        }
                    }
                });
                boolean control = mode.equals("control");
                byte[] state = new byte[(int) deviceState];
                result = PostCopy.builder(saver, List.of(dirty)).afterRounds(afterRounds).backgroundPages(background)
                        .pause((converged, pages, estimate) -> { })
                        .switchover(() -> devices.save("cpu", 0, state))
                        .prioritizeRequests(!control).windowPages(control ? 0 : window)
                        .build().run();
            }
            sender.finish();
            receiver.await(Duration.ofSeconds(120));
            double secs = (System.nanoTime() - t0) / 1e9;
            double cpu = (Roles.cpuNanos() - cpu0) / 1e9;
            Map<String, Double> perThread = threads == null ? Map.of() : threads.sinceStartMillis();
            stop.set(true);
            for (Thread t : readers) {
                t.join(10_000);
            }
            if (!Arrays.equals(sha(src), sha(dst))) {
                throw new IllegalStateException(mode + ": the destination differs from the source");
            }
            if (result == null) {
                return new Outcome(mode, secs, cpu, 0, 0, 0, 0, 0, 0, 0, perThread, "");
            }
            PostcopyAccess.Latency lat = access.latency();
            return new Outcome(mode, secs, cpu, result.downtime().toNanos() / 1e6, result.missingPages(), result.requests(),
                    lat.p50().toNanos() / 1e6, lat.p99().toNanos() / 1e6, lat.max().toNanos() / 1e6, lat.count(), perThread, slowest(slow));
        } finally {
            stop.set(true);
            l.close();
        }
    }

    /** The eight slowest waits as a JSON array of [start after the release, duration] in ms, or "". */
    private static String slowest(java.util.Queue<double[]> slow) {
        return slow.stream().sorted((a, b) -> Double.compare(b[1], a[1])).limit(8)
                .map(w -> String.format(Locale.ROOT, "[%.1f,%.2f]", w[0], w[1]))
                .collect(java.util.stream.Collectors.joining(",", "[", "]")).replace("[]", "");
    }

    private static void read(PostcopyAccess access, RamBlock dst, long rate, long seed, AtomicBoolean stop,
                             java.util.Queue<double[]> slow) {
        try {
            while (!stop.get() && !access.awaitRelease(Duration.ofMillis(100))) {
                // bounded waits, so that a pre-copy run's readers end
            }
            SplittableRandom r = new SplittableRandom(seed);
            long start = System.nanoTime();
            long done = 0;
            byte[] page = new byte[dst.pageSize()];
            while (!stop.get()) {
                long due = 1 + (long) ((System.nanoTime() - start) * (double) rate / 1e9);
                while (done < due && !stop.get()) {
                    long off = r.nextLong(dst.pageCount()) * dst.pageSize();
                    long t = System.nanoTime();
                    access.require(dst, off, dst.pageSize());
                    long took = System.nanoTime() - t;
                    if (took > 1_000_000) {
                        slow.add(new double[]{(t - start) / 1e6, took / 1e6});
                    }
                    dst.get(off, page, 0, page.length);
                    done++;
                }
                LockSupport.parkNanos(200_000); // pacing
            }
        } catch (Exception e) {
            if (!stop.get()) {
                e.printStackTrace();
            }
        }
    }

    /** A loader that drops the bytes. */
    private static final class Discard implements DeviceStateLoader {
        @Override
        public void load(ByteBuffer buffer) {
        }

        @Override
        public void complete() {
        }

        @Override
        public void abort(Throwable cause) {
        }
    }

    private static void touch(RamBlock b) {
        byte[] zero = new byte[1 << 20];
        for (long off = 0; off < b.length(); off += zero.length) {
            b.put(off, zero, 0, (int) Math.min(zero.length, b.length() - off));
        }
    }

    private static byte[] sha(RamBlock b) throws Exception {
        java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[1 << 20];
        for (long off = 0; off < b.length(); off += buf.length) {
            int n = (int) Math.min(buf.length, b.length() - off);
            b.get(off, buf, 0, n);
            md.update(buf, 0, n);
        }
        return md.digest();
    }

    private static double median(List<Outcome> all, String mode, java.util.function.ToDoubleFunction<Outcome> f) {
        double[] v = all.stream().filter(o -> o.mode().equals(mode)).mapToDouble(f).sorted().toArray();
        return v.length == 0 ? 0 : v[v.length / 2];
    }

    private static long parseSize(String s) {
        String t = s.toLowerCase(Locale.ROOT);
        long mul = t.endsWith("g") ? 1L << 30 : t.endsWith("m") ? 1L << 20 : t.endsWith("k") ? 1L << 10 : 1;
        return Long.parseLong(mul == 1 ? t : t.substring(0, t.length() - 1)) * mul;
    }

    /**
     * Java thread priorities for the readers (the destination's application) and for every thread
     * of both migration ends. The JVM applies them on Linux only with
     * {@code -XX:ThreadPriorityPolicy=1} (Java priority 5 is nice 0, 1 is nice 4, 10 is nice -5;
     * raising needs {@code CAP_SYS_NICE}); without that flag they change nothing.
     */
    record Priorities(int reader, int migration) {
        java.util.concurrent.ThreadFactory migrationThreads() {
            return r -> {
                Thread t = new Thread(r);
                t.setDaemon(true);
                t.setPriority(migration);
                return t;
            };
        }
    }
}
