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

import io.multifd.api.CodecOptions;
import io.multifd.api.MigrationStats;
import io.multifd.api.MultiFdConfig;
import io.multifd.core.MultiFdReceiver;
import io.multifd.core.MultiFdSender;
import io.multifd.core.PluginRegistry;
import io.multifd.api.spi.TransportChannel;
import io.multifd.api.spi.TransportConnector;
import io.multifd.api.spi.TransportListener;
import io.multifd.core.transport.TcpTransport;
import io.multifd.core.transport.tls.TlsChannel;
import io.multifd.core.transport.tls.TlsConfig;
import io.multifd.core.transport.tls.TlsTransport;
import io.multifd.ram.FreshMemory;
import io.multifd.ram.RamBlock;
import io.multifd.ram.RamDestination;
import io.multifd.ram.RamPayload;
import io.multifd.ram.RamSaver;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The two roles of {@link E2eBench}, each in its own JVM: {@code receiver} and {@code sender}, in
 * mode {@code multifd} (the library) or {@code raw} (N plain NIO sockets, each moving its share
 * of the bytes straight from source memory into destination memory). Run 0 is the warm-up.
 * Each role prints {@code RUN k key=value ...} per migration: its wall time and process CPU time
 * for that migration.
 */
public final class Roles {

    private static final String HOST = "127.0.0.1";

    private Roles() {
    }

    public static void main(String[] args) throws Exception {
        String role = args[0];
        Map<String, String> o = options(java.util.Arrays.copyOfRange(args, 1, args.length), Map.of());
        String mode = o.get("--mode");
        int channels = Integer.parseInt(o.get("--channels"));
        long size = Long.parseLong(o.get("--size"));
        int runs = Integer.parseInt(o.get("--runs"));
        boolean fresh = o.containsKey("--fresh");
        rawChunk = (int) bytes(o.getOrDefault("--raw-chunk", "8m"));
        if (role.equals("receiver")) {
            receiver(mode, channels, size, runs, fresh, o);
        } else {
            sender(mode, channels, size, runs, Integer.parseInt(o.get("--port")), o);
        }
        System.exit(0);
    }

    // ------------------------------------------------------------------ receiver

    static void receiver(String mode, int channels, long size, int runs, boolean fresh, Map<String, String> o)
            throws Exception {
        RamBlock faulted = fresh ? null : RamBlock.allocate("pc.ram", size); // allocateDirect zeroes: faulted in
        int port = 0;
        ServerSocketChannel rawServer = null;
        if (mode.equals("raw")) {
            // one listening socket for every run: a sender's next connection must not land in the
            // backlog of a socket that is about to close
            rawServer = ServerSocketChannel.open();
            rawServer.bind(new InetSocketAddress(HOST, 0));
            System.out.println("PORT " + ((InetSocketAddress) rawServer.getLocalAddress()).getPort());
            System.out.flush();
        }
        for (int run = 0; run <= runs; run++) {
            Path shm = null;
            RamBlock dst = faulted;
            String kind = o.getOrDefault("--fresh-memory", "shm");
            if (fresh && kind.equals("shm")) {
                shm = Files.createTempFile(Path.of("/dev/shm"), "multifd-e2e", ".img");
                dst = RamBlock.map("pc.ram", shm, size, RamBlock.DEFAULT_PAGE_SIZE, true);
            } else if (fresh && kind.equals("anonymous")) {
                dst = FreshMemory.allocate("pc.ram", size, RamBlock.DEFAULT_PAGE_SIZE);
                System.err.println("[receiver] fresh memory: " + FreshMemory.kind()
                        + FreshMemory.unavailableReason().map(r -> " (" + r + ")").orElse(""));
            } else if (fresh && kind.equals("direct")) {
                dst = RamBlock.allocate("pc.ram", size);
            } else if (fresh) {
                throw new IllegalArgumentException("--fresh-memory: shm, anonymous or direct, not " + kind);
            }
            try {
                if (mode.equals("raw")) {
                    rawReceiver(rawServer, dst, channels, run);
                } else {
                    port = multifdReceiver(dst, channels, port, run, o);
                }
            } finally {
                if (shm != null) {
                    Files.deleteIfExists(shm);
                }
            }
        }
    }

    static int multifdReceiver(RamBlock dst, int channels, int port, int run, Map<String, String> o) throws Exception {
        TcpTransport.Listener l = TcpTransport.listen(new InetSocketAddress(HOST, port));
        if (port == 0) {
            System.out.println("PORT " + l.localAddress().getPort());
            System.out.flush();
        }
        MultiFdConfig config = config(channels, o);
        long cpu0 = cpuNanos();
        double[] split0 = cpuSplit();
        // an explicit registry: discovered plug-ins (codecs) with the configured RAM payload replacing
        // the discovered one (the receiver builder's payload(...) clashes with discovery in this core)
        PluginRegistry registry = PluginRegistry.builder().discover()
                .add(RamPayload.receiving(RamDestination.of(dst))).build();
        TransportListener listener = o.get("--mode").equals("tls") ? TlsTransport.listener(l, tls(o, "receiver", "sender")) : l;
        try (MultiFdReceiver r = MultiFdReceiver.builder(config, listener).registry(registry).build().start()) {
            MigrationStats s = r.await(Duration.ofMinutes(10));
            long cpu = cpuNanos() - cpu0;
            System.out.printf(Locale.ROOT, "RUN %d receiverSeconds=%.6f receiverCpu=%.6f receiverWireBytes=%d%s%n", run,
                    s.elapsed().toNanos() / 1e9, cpu / 1e9, s.wireBytes(), splitSince(split0, "receiver"));
            System.out.flush();
        } finally {
            l.close();
        }
        soak("receiver", run, o, dst);
        return l.localAddress().getPort();
    }

    static void rawReceiver(ServerSocketChannel server, RamBlock dst, int channels, int run) throws Exception {
        {
            List<SocketChannel> conns = new ArrayList<>();
            for (int i = 0; i < channels; i++) {
                conns.add(server.accept());
            }
            long cpu0 = cpuNanos();
            double[] split0 = cpuSplit();
            long t0 = System.nanoTime();
            ExecutorService ex = Executors.newFixedThreadPool(channels);
            try {
                List<Future<Long>> fs = new ArrayList<>();
                for (int i = 0; i < channels; i++) {
                    SocketChannel c = conns.get(i);
                    long[] share = share(dst.length(), channels, i);
                    fs.add(ex.submit(() -> {
                        long n = 0;
                        for (ByteBuffer b : views(dst, share[0], share[1])) {
                            while (b.hasRemaining()) {
                                int k = c.read(b);
                                if (k < 0) {
                                    throw new IOException("raw: end of stream");
                                }
                                n += k;
                            }
                        }
                        c.write(ByteBuffer.wrap(new byte[]{1})); // ack
                        return n;
                    }));
                }
                long total = 0;
                for (Future<Long> f : fs) {
                    total += f.get();
                }
                long t = System.nanoTime() - t0;
                long cpu = cpuNanos() - cpu0;
                System.out.printf(Locale.ROOT, "RUN %d receiverSeconds=%.6f receiverCpu=%.6f receiverWireBytes=%d%s%n", run,
                        t / 1e9, cpu / 1e9, total, splitSince(split0, "receiver"));
                System.out.flush();
            } finally {
                ex.shutdown();
                for (SocketChannel c : conns) {
                    c.close();
                }
            }
        }
    }

    // ------------------------------------------------------------------ sender

    static void sender(String mode, int channels, long size, int runs, int port, Map<String, String> o)
            throws Exception {
        RamBlock src;
        if (o.containsKey("--image")) {
            // the file's own bytes, mapped read-only (as the command line's send does)
            src = RamBlock.map("pc.ram", Path.of(o.get("--image")), size, RamBlock.DEFAULT_PAGE_SIZE, false);
        } else {
            src = RamBlock.allocate("pc.ram", size);
            fill(src, o.getOrDefault("--content", "random"));
        }
        for (int run = 0; run <= runs; run++) {
            if (mode.equals("raw")) {
                rawSender(src, channels, port, run);
            } else {
                multifdSender(src, channels, port, run, o);
            }
        }
    }

    static void multifdSender(RamBlock src, int channels, int port, int run, Map<String, String> o) throws Exception {
        MultiFdConfig config = config(channels, o);
        long cpu0 = cpuNanos();
        double[] split0 = cpuSplit();
        long t0 = System.nanoTime();
        InetSocketAddress address = new InetSocketAddress(HOST, port);
        String[] cipher = {"-"};
        TransportConnector connector = TcpTransport.connector(address);
        if (o.get("--mode").equals("tls")) {
            TransportConnector tls = TlsTransport.tcpConnector(address, tls(o, "sender", "receiver"));
            connector = new TransportConnector() {
                @Override
                public TransportChannel connect(int channelId, Duration timeout) throws IOException {
                    TransportChannel c = tls.connect(channelId, timeout);
                    cipher[0] = ((TlsChannel) c).session().getProtocol() + "/" + ((TlsChannel) c).session().getCipherSuite();
                    return c;
                }

                @Override
                public String description() {
                    return tls.description();
                }
            };
        }
        MultiFdSender.Builder b = MultiFdSender.builder(config, connector);
        if (o.containsKey("--batch")) {
            b.payload(RamPayload.builder().batchBytes((int) bytes(o.get("--batch"))).build());
        }
        try (MultiFdSender s = b.build()) {
            RamSaver saver = RamSaver.open(s, src);
            s.connect();
            saver.saveAll();
            MigrationStats st = s.finish();
            long t = System.nanoTime() - t0;
            long cpu = cpuNanos() - cpu0;
            System.out.printf(Locale.ROOT, "RUN %d senderSeconds=%.6f senderCpu=%.6f wireBytes=%d rawBytes=%d codec=%s tls=%s%s%n",
                    run, t / 1e9, cpu / 1e9, st.wireBytes(), st.rawBytes(), st.codec(), cipher[0],
                    splitSince(split0, "sender"));
            System.out.flush();
        }
        soak("sender", run, o, src);
    }

    /**
     * With {@code --soak}: after each migration (every library object closed), prints the role's
     * resources after a full GC and the SHA-256 of its memory (the source, or what arrived), so
     * that a long series can be compared run by run: {@code SOAK role run=k heapAfterGc=B
     * direct=B fds=N threads=N sha256=HEX}.
     */
    static void soak(String role, int run, Map<String, String> o, RamBlock memory) throws IOException {
        if (!o.containsKey("--soak")) {
            return;
        }
        java.security.MessageDigest md;
        try {
            md = java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        for (ByteBuffer b : views(memory, 0, memory.length())) {
            md.update(b);
        }
        System.gc();
        System.gc();
        long heap = java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        long direct = java.lang.management.ManagementFactory.getPlatformMXBeans(java.lang.management.BufferPoolMXBean.class)
                .stream().filter(p -> p.getName().equals("direct"))
                .mapToLong(java.lang.management.BufferPoolMXBean::getMemoryUsed).sum();
        long fds;
        try (java.util.stream.Stream<Path> f = Files.list(Path.of("/proc/self/fd"))) {
            fds = f.count();
        }
        int threads = java.lang.management.ManagementFactory.getThreadMXBean().getThreadCount();
        System.out.printf(Locale.ROOT, "SOAK %s run=%d heapAfterGc=%d direct=%d fds=%d threads=%d sha256=%s%n", role, run,
                heap, direct, fds, threads, java.util.HexFormat.of().formatHex(md.digest()));
        System.out.flush();
    }

    static void rawSender(RamBlock src, int channels, int port, int run) throws Exception {
        List<SocketChannel> conns = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        long cpu0 = cpuNanos();
        double[] split0 = cpuSplit();
        long t0 = System.nanoTime();
        for (int i = 0; i < channels; i++) {
            while (true) {
                try {
                    SocketChannel c = SocketChannel.open(new InetSocketAddress(HOST, port));
                    c.socket().setTcpNoDelay(true);
                    conns.add(c);
                    break;
                } catch (java.net.ConnectException e) {
                    if (System.nanoTime() > deadline) {
                        throw e;
                    }
                    Thread.sleep(20); // the receiver is re-binding: retry (bench tool)
                }
            }
        }
        ExecutorService ex = Executors.newFixedThreadPool(channels);
        try {
            List<Future<Long>> fs = new ArrayList<>();
            for (int i = 0; i < channels; i++) {
                SocketChannel c = conns.get(i);
                long[] share = share(src.length(), channels, i);
                fs.add(ex.submit(() -> {
                    long n = 0;
                    for (ByteBuffer b : views(src, share[0], share[1])) {
                        while (b.hasRemaining()) {
                            n += c.write(b);
                        }
                    }
                    ByteBuffer ack = ByteBuffer.allocate(1);
                    while (ack.hasRemaining()) {
                        if (c.read(ack) < 0) {
                            throw new IOException("raw: no ack");
                        }
                    }
                    return n;
                }));
            }
            long total = 0;
            for (Future<Long> f : fs) {
                total += f.get();
            }
            long t = System.nanoTime() - t0;
            long cpu = cpuNanos() - cpu0;
            System.out.printf(Locale.ROOT, "RUN %d senderSeconds=%.6f senderCpu=%.6f wireBytes=%d rawBytes=%d codec=raw%s%n",
                    run, t / 1e9, cpu / 1e9, total, total, splitSince(split0, "sender"));
            System.out.flush();
        } finally {
            ex.shutdown();
            for (SocketChannel c : conns) {
                c.close();
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    static MultiFdConfig config(int channels, Map<String, String> o) {
        MultiFdConfig.Builder b = MultiFdConfig.builder().channels(channels)
                .maxBandwidth(bytes(o.getOrDefault("--max-bandwidth", "0")))
                .ioTimeout(Duration.ofSeconds(60)).finishTimeout(Duration.ofSeconds(120))
                .acceptTimeout(Duration.ofSeconds(120)).connectTimeout(Duration.ofSeconds(60));
        b.dataChecksum(io.multifd.api.DataChecksum.valueOf(o.getOrDefault("--checksum", "encoded")
                .toUpperCase(Locale.ROOT)));
        String codec = o.getOrDefault("--codec", "none");
        if (o.containsKey("--level")) {
            b.codec(codec, CodecOptions.level(Integer.parseInt(o.get("--level"))));
        } else {
            b.codec(codec);
        }
        return b.build();
    }

    /** Share {@code i} of {@code n} of a length, in whole 4 KiB pages: {start, length}. */
    static long[] share(long length, int n, int i) {
        long pages = (length + 4095) / 4096;
        long start = pages * i / n * 4096;
        long end = Math.min(length, pages * (i + 1) / n * 4096);
        return new long[]{start, end - start};
    }

    /** Bytes per raw read or write call (--raw-chunk); 8 MiB by default (the fastest measured here). */
    static int rawChunk = 8 << 20;

    /** Views of a block's range, at most {@link #rawChunk} bytes each and never across a segment. */
    static List<ByteBuffer> views(RamBlock b, long start, long length) {
        List<ByteBuffer> out = new ArrayList<>();
        long off = start;
        long end = start + length;
        while (off < end) {
            long segEnd = (off / b.segmentSize() + 1) * b.segmentSize();
            int n = (int) Math.min(Math.min(end, segEnd) - off, rawChunk);
            out.add(b.slice(off, n));
            off += n;
        }
        return out;
    }

    static void fill(RamBlock b, String content) {
        SplittableRandom rnd = new SplittableRandom(42);
        byte[] text = "the quick brown fox jumps over the lazy dog; multifd moves memory over many channels. "
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] page = new byte[4096];
        for (long off = 0; off < b.length(); off += 4096) {
            int len = (int) Math.min(4096, b.length() - off);
            switch (content) {
                case "zero" -> {
                    continue;
                }
                case "text" -> {
                    int s = rnd.nextInt(text.length);
                    for (int i = 0; i < len; i++) {
                        page[i] = text[(s + i) % text.length];
                    }
                }
                case "mixed" -> {
                    int k = rnd.nextInt(3);
                    if (k == 0) {
                        continue;
                    }
                    for (int i = 0; i < len; i++) {
                        page[i] = k == 1 ? text[i % text.length] : (byte) rnd.nextInt();
                    }
                }
                default -> {
                    for (int i = 0; i + 8 <= len; i += 8) {
                        long v = rnd.nextLong();
                        for (int k = 0; k < 8; k++) {
                            page[i + k] = (byte) (v >>> (8 * k));
                        }
                    }
                }
            }
            b.put(off, page, 0, len);
        }
    }

    /** User and system CPU seconds of this process so far, from /proc/self/stat (Linux), or zeros. */
    static double[] cpuSplit() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // after the command: state(3) ... utime is field 14, stime 15 (1-based) = index 11, 12 here
            return new double[]{Long.parseLong(f[11]) / 100.0, Long.parseLong(f[12]) / 100.0};
        } catch (IOException | RuntimeException e) {
            return new double[]{0, 0};
        }
    }

    static String splitSince(double[] before, String prefix) {
        double[] now = cpuSplit();
        return String.format(Locale.ROOT, " %sUser=%.2f %sSys=%.2f", prefix, now[0] - before[0], prefix, now[1] - before[1]);
    }

    static long cpuNanos() {
        return ProcessHandle.current().info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
    }

    static long bytes(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        long mul = 1;
        if (t.endsWith("k")) {
            mul = 1L << 10;
        } else if (t.endsWith("m")) {
            mul = 1L << 20;
        } else if (t.endsWith("g")) {
            mul = 1L << 30;
        }
        if (mul != 1) {
            t = t.substring(0, t.length() - 1);
        }
        return Long.parseLong(t) * mul;
    }

    /** The TLS config of one role: its own PEM identity from {@code --tls-dir}, trusting (pinning) the other's. */
    static TlsConfig tls(Map<String, String> o, String me, String peer) {
        Path dir = Path.of(o.get("--tls-dir"));
        return TlsConfig.builder().identityPem(dir.resolve(me + ".crt"), dir.resolve(me + ".key"))
                .trustPem(dir.resolve(peer + ".crt")).build();
    }

    /** Parses {@code --key value} and {@code --flag} arguments over defaults. */
    static Map<String, String> options(String[] args, Map<String, String> defaults) {
        Map<String, String> o = new HashMap<>(defaults);
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument: " + a);
            }
            if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
                o.put(a, args[++i]);
            } else {
                o.put(a, "true");
            }
        }
        return o;
    }

    /** Starts a role in a child JVM with this JVM's class path; its stderr goes to ours. */
    static Process spawn(List<String> roleArgs) throws IOException {
        long size = Long.parseLong(roleArgs.get(roleArgs.indexOf("--size") + 1));
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xms512m");
        cmd.add("-Xmx1g");
        cmd.add("-XX:MaxDirectMemorySize=" + (size + (1L << 30)));
        cmd.add("--enable-native-access=ALL-UNNAMED"); // FreshMemory's anonymous memory on JDK 22+
        String extra = System.getenv(roleArgs.get(0).equals("sender") ? "E2E_SENDER_OPTS" : "E2E_RECEIVER_OPTS");
        if (extra != null && !extra.isBlank()) {
            cmd.addAll(List.of(extra.trim().split("\\s+"))); // e.g. a JFR recording, for profiling
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Roles.class.getName());
        cmd.addAll(roleArgs);
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }
}
