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
package io.multifd.bench.ram;

import io.multifd.ram.RamBlock;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * What a fresh destination costs, and how a sender best reads an image file: the ways a receiver
 * can put the non-zero pages of an image into a new file or fresh memory, and the ways a sender
 * can read an image, each timed alone (wall seconds, and CPU seconds of the threads that did the
 * work, system time included) so that the choices in {@code docs/performance.md} can be redone.
 *
 * <pre>
 * java -cp benchmarks.jar io.multifd.bench.ram.FreshPathBench MODE [--image FILE | --size 1g] [--threads 2]
 *        [--dir DIR] [--runs 3]
 * MODE, into a new sparse file in DIR (default: the working directory):
 *   map           a shared mapping; each thread copies its packets' runs of non-zero pages into it
 *   write         positional FileChannel.write of each run of contiguous non-zero pages
 *   map-prefault  a shared mapping; each run's pages are touched (one byte each) just before the copy
 *   pre-write     the whole file written with zeros first (timed apart), then a shared mapping
 *   pre-touch     a shared mapping touched page by page first (timed apart), then the copies
 *   pre-write-touch-rw   as pre-write, then each mapped page read and written back (timed: "touch")
 *   pre-write-prefault   as pre-write, then RamBlock.prefault() on the mapping (timed: "touch")
 * MODE, into fresh memory:
 *   direct        ByteBuffer.allocateDirect segments (zeroed by the JDK on the allocating thread), then copies
 *   shm           a shared mapping of a new file in /dev/shm (faults on the copying threads)
 * MODE, reading the image (one thread, each page checked for zeros as the RAM sender does):
 *   read-map      mapped read-only, 1 GiB segments
 *   read-channel  FileChannel.read into one reused 512 KiB direct buffer
 * </pre>
 * The pages to write are the image's non-zero pages (--image), or with --size a 35 % zero mix
 * (seeded). Threads take 512 KiB "packets" in turn, like channels.
 */
public final class FreshPathBench {

    private static final int PAGE = 4096;
    private static final int PACKET_PAGES = 128;
    private static final long SEGMENT = 1L << 30;

    private FreshPathBench() {
    }

    /**
     * Runs one mode.
     *
     * @param args the mode and options, see the class comment
     * @throws Exception if a file cannot be made or read
     */
    public static void main(String[] args) throws Exception {
        String mode = args[0];
        Path image = null;
        long size = 1L << 30;
        int threads = 2;
        int runs = 3;
        Path dir = Path.of(".");
        for (int i = 1; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--image" -> image = Path.of(args[i + 1]);
                case "--size" -> size = parseSize(args[i + 1]);
                case "--threads" -> threads = Integer.parseInt(args[i + 1]);
                case "--runs" -> runs = Integer.parseInt(args[i + 1]);
                case "--dir" -> dir = Path.of(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (image != null) {
            size = Files.size(image);
        }
        boolean[] nonZero = image != null ? nonZeroPages(image, size) : mix(size);
        for (int run = 1; run <= runs; run++) {
            if (mode.startsWith("read-")) {
                read(mode, image, size, run);
            } else {
                write(mode, nonZero, size, threads, dir, run);
            }
        }
    }

    private static void write(String mode, boolean[] nonZero, long size, int threads, Path dir, int run)
            throws Exception {
        Path file = null;
        FileChannel fc = null;
        ByteBuffer[] segs = null;
        ThreadMXBean tm = ManagementFactory.getThreadMXBean();
        long prepared0 = System.nanoTime();
        long prepareCpu0 = tm.getCurrentThreadCpuTime();
        try {
            if (mode.equals("direct")) {
                segs = new ByteBuffer[(int) ((size + SEGMENT - 1) / SEGMENT)];
                for (int i = 0; i < segs.length; i++) {
                    segs[i] = ByteBuffer.allocateDirect((int) Math.min(SEGMENT, size - i * SEGMENT));
                }
            } else {
                file = Files.createTempFile(mode.equals("shm") ? Path.of("/dev/shm") : dir, "fresh-bench", ".img");
                fc = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
                fc.write(ByteBuffer.allocate(1), size - 1); // a sparse file of the size
                if (mode.startsWith("pre-write")) {
                    ByteBuffer zeros = ByteBuffer.allocateDirect(1 << 20);
                    for (long pos = 0; pos < size; ) {
                        zeros.clear().limit((int) Math.min(zeros.capacity(), size - pos));
                        while (zeros.hasRemaining()) {
                            pos += fc.write(zeros, pos);
                        }
                    }
                }
                if (!mode.equals("write")) {
                    segs = new ByteBuffer[(int) ((size + SEGMENT - 1) / SEGMENT)];
                    for (int i = 0; i < segs.length; i++) {
                        segs[i] = fc.map(FileChannel.MapMode.READ_WRITE, i * SEGMENT, Math.min(SEGMENT, size - i * SEGMENT));
                    }
                }
                long touch0 = System.nanoTime();
                if (mode.equals("pre-write-touch-rw")) {
                    for (ByteBuffer s : segs) {
                        for (int p = 0; p < s.capacity(); p += PAGE) {
                            s.put(p, s.get(p)); // a read fault (read-only, 16 pages around), then a write-protect fault
                        }
                    }
                } else if (mode.equals("pre-write-prefault")) {
                    RamBlock block = RamBlock.map("bench", fc, 0, size, PAGE, FileChannel.MapMode.READ_WRITE).prefault();
                    for (int i = 0; i < segs.length; i++) {
                        segs[i] = block.slice(i * SEGMENT, (int) Math.min(SEGMENT, size - i * SEGMENT));
                    }
                }
                if (mode.startsWith("pre-write-")) {
                    System.out.printf(Locale.ROOT, "%-13s run %d  touch %.3f s%n", mode, run,
                            (System.nanoTime() - touch0) / 1e9);
                }
                if (mode.equals("pre-touch")) {
                    for (ByteBuffer s : segs) {
                        for (int p = 0; p < s.capacity(); p += PAGE) {
                            s.put(p, (byte) 0);
                        }
                    }
                }
            }
            double prepareWall = (System.nanoTime() - prepared0) / 1e9;
            double prepareCpu = (tm.getCurrentThreadCpuTime() - prepareCpu0) / 1e9;
            long t0 = System.nanoTime();
            ExecutorService ex = Executors.newFixedThreadPool(threads);
            List<Future<Long>> fs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                fs.add(ex.submit(copier(mode, nonZero, size, t, threads, fc, segs)));
            }
            long cpu = 0;
            for (Future<Long> f : fs) {
                cpu += f.get();
            }
            double wall = (System.nanoTime() - t0) / 1e9;
            ex.shutdown();
            System.out.printf(Locale.ROOT, "%-13s run %d  prepare %.3f s (cpu %.3f)  data %.3f s (cpu %.3f, %d threads)%n",
                    mode, run, prepareWall, prepareCpu, wall, cpu / 1e9, threads);
        } finally {
            if (fc != null) {
                fc.close();
            }
            if (file != null) {
                Files.deleteIfExists(file);
            }
        }
    }

    private static java.util.concurrent.Callable<Long> copier(String mode, boolean[] nonZero, long size, int index,
                                                              int threads, FileChannel fc, ByteBuffer[] segs) {
        return () -> {
            ThreadMXBean tm = ManagementFactory.getThreadMXBean();
            long c0 = tm.getCurrentThreadCpuTime();
            ByteBuffer data = ByteBuffer.allocateDirect(PACKET_PAGES * PAGE);
            SplittableRandom rnd = new SplittableRandom(index);
            for (int i = 0; i < data.capacity(); i += 8) {
                data.putLong(i, rnd.nextLong());
            }
            int pages = nonZero.length;
            for (int p0 = index * PACKET_PAGES; p0 < pages; p0 += PACKET_PAGES * threads) {
                int end = Math.min(pages, p0 + PACKET_PAGES);
                int p = p0;
                while (p < end) {
                    if (!nonZero[p]) {
                        p++;
                        continue;
                    }
                    int q = p;
                    long off = (long) p * PAGE;
                    // a run of contiguous non-zero pages within one packet and one segment
                    while (q < end && nonZero[q] && ((long) q * PAGE) / SEGMENT == off / SEGMENT) {
                        q++;
                    }
                    int len = (int) (Math.min((long) q * PAGE, size) - off);
                    if (segs == null) {
                        ByteBuffer b = data.duplicate().position(0).limit(len);
                        long pos = off;
                        while (b.hasRemaining()) {
                            pos += fc.write(b, pos);
                        }
                    } else {
                        ByteBuffer s = segs[(int) (off / SEGMENT)];
                        int at = (int) (off % SEGMENT);
                        if (mode.equals("map-prefault")) {
                            for (int k = 0; k < len; k += PAGE) {
                                s.put(at + k, (byte) 0);
                            }
                        }
                        s.put(at, data, 0, len);
                    }
                    p = q;
                }
            }
            return tm.getCurrentThreadCpuTime() - c0;
        };
    }

    private static void read(String mode, Path image, long size, int run) throws IOException {
        if (image == null) {
            throw new IllegalArgumentException(mode + " needs --image FILE");
        }
        ThreadMXBean tm = ManagementFactory.getThreadMXBean();
        long t0 = System.nanoTime();
        long c0 = tm.getCurrentThreadCpuTime();
        long zero = 0;
        try (FileChannel fc = FileChannel.open(image, StandardOpenOption.READ)) {
            if (mode.equals("read-map")) {
                for (long base = 0; base < size; base += SEGMENT) {
                    MappedByteBuffer m = fc.map(FileChannel.MapMode.READ_ONLY, base, Math.min(SEGMENT, size - base));
                    for (int p = 0; p + PAGE <= m.capacity(); p += PAGE) {
                        zero += isZero(m, p) ? 1 : 0;
                    }
                }
            } else {
                ByteBuffer b = ByteBuffer.allocateDirect(PACKET_PAGES * PAGE);
                for (long pos = 0; pos < size; ) {
                    b.clear();
                    while (b.hasRemaining() && pos + b.position() < size) {
                        if (fc.read(b, pos + b.position()) < 0) {
                            break;
                        }
                    }
                    for (int p = 0; p + PAGE <= b.position(); p += PAGE) {
                        zero += isZero(b, p) ? 1 : 0;
                    }
                    pos += b.position();
                }
            }
        }
        System.out.printf(Locale.ROOT, "%-13s run %d  %.3f s (cpu %.3f), %d zero pages%n", mode, run,
                (System.nanoTime() - t0) / 1e9, (tm.getCurrentThreadCpuTime() - c0) / 1e9, zero);
    }

    private static boolean isZero(ByteBuffer b, int p) {
        for (int i = 0; i < PAGE; i += 8) {
            if (b.getLong(p + i) != 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean[] nonZeroPages(Path image, long size) throws IOException {
        boolean[] out = new boolean[(int) ((size + PAGE - 1) / PAGE)];
        try (FileChannel fc = FileChannel.open(image, StandardOpenOption.READ)) {
            for (long base = 0; base < size; base += SEGMENT) {
                MappedByteBuffer m = fc.map(FileChannel.MapMode.READ_ONLY, base, Math.min(SEGMENT, size - base));
                for (int p = 0; p < m.capacity(); p += PAGE) {
                    int len = Math.min(PAGE, m.capacity() - p);
                    boolean nz = false;
                    for (int i = 0; i < len && !nz; i++) {
                        nz = m.get(p + i) != 0;
                    }
                    out[(int) ((base + p) / PAGE)] = nz;
                }
            }
        }
        return out;
    }

    private static boolean[] mix(long size) {
        boolean[] out = new boolean[(int) ((size + PAGE - 1) / PAGE)];
        SplittableRandom rnd = new SplittableRandom(42);
        for (int i = 0; i < out.length; i++) {
            out[i] = rnd.nextInt(100) >= 35;
        }
        return out;
    }

    private static long parseSize(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        long mult = switch (t.charAt(t.length() - 1)) {
            case 'k' -> 1L << 10;
            case 'm' -> 1L << 20;
            case 'g' -> 1L << 30;
            default -> 1;
        };
        return Long.parseLong(mult == 1 ? t : t.substring(0, t.length() - 1)) * mult;
    }
}
