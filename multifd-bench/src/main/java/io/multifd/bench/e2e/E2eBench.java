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

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The end-to-end bench runner: sender and receiver in two JVMs over loopback TCP, one
 * warm-up migration and then measured migrations in the same JVMs, beside the raw baseline (the
 * same number of plain NIO sockets moving the same bytes into a destination of the same size)
 * and iperf3 if it is installed.
 *
 * <pre>
 * java -cp benchmarks.jar io.multifd.bench.e2e.E2eBench [options]
 *   --size BYTES        bytes per measured migration (suffix k, m, g), default 4g
 *   --channels LIST     channel counts, default 1,2,4
 *   --runs N            measured migrations per configuration, default 2
 *   --codec NAME  codec (none, zstd, lz4, zlib), default none
 *   --level N           codec level, default: the codec's
 *   --max-bandwidth B   sender cap in bytes/s (suffix k, m, g), default 0 (none)
 *   --fresh             also measure into fresh (not pre-faulted) destination memory
 *   --fresh-memory KIND what fresh memory: shm (a new /dev/shm file, mapped; the default), anonymous
 *                       (FreshMemory: mmap on JDK 22+ with native access, else direct memory), direct
 *                       (RamBlock.allocate: the JDK clears it before the migration)
 *   --no-raw            skip the raw NIO baseline
 *   --no-iperf          skip iperf3
 *   --content KIND      source pages: random (default), text, zero, mixed
 *   --image FILE        migrate the bytes of FILE instead (mapped read-only by the sender; --size and
 *                       --content are then ignored: the size is FILE's)
 *   --raw-chunk BYTES   bytes per read/write call of the raw baseline, default 8m
 *   --checksum WHAT     data checksum of the multifd modes: off, encoded (default), all
 *   --soak              after each migration each role prints a SOAK line: heap after GC, direct
 *                       memory, open file descriptors, threads, SHA-256 of its memory (scripts/soak.sh)
 *   --batch BYTES       RAM batch (page data per packet), default the RamPayload default (512k)
 *   --tls               also measure multifd over mutual TLS (mode "tls"; self-signed EC P-256
 *                       identities made with the JDK's keytool, each pinning the other)
 * Environment: E2E_SENDER_OPTS / E2E_RECEIVER_OPTS add JVM options to a role (e.g. a JFR recording).
 * Each role also reports its user and system CPU seconds (from /proc/self/stat).
 * </pre>
 * Prints one line per measurement and a table; the roles run as child JVMs
 * ({@link Roles}) with the same class path and heap options as this one.
 */
public final class E2eBench {

    private E2eBench() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = Roles.options(args, Map.of("--size", "4g", "--channels", "1,2,4", "--runs", "2",
                "--codec", "none", "--max-bandwidth", "0", "--content", "random"));
        long size = Roles.bytes(o.get("--size"));
        if (o.containsKey("--image")) {
            Path image = Path.of(o.get("--image")).toAbsolutePath();
            if (!Files.isRegularFile(image) || Files.size(image) == 0) {
                throw new IllegalArgumentException("--image " + image + ": not a non-empty regular file");
            }
            size = Files.size(image);
            o.put("--image", image.toString());
        }
        int runs = Integer.parseInt(o.get("--runs"));
        List<Map<String, String>> rows = new ArrayList<>();
        if (o.containsKey("--tls")) {
            o.put("--tls-dir", TlsIdentities.create().toString());
        }
        for (String ch : o.get("--channels").split(",")) {
            int channels = Integer.parseInt(ch.trim());
            if (!o.containsKey("--no-raw")) {
                rows.addAll(pair("raw", channels, size, runs, o, false));
            }
            rows.addAll(pair("multifd", channels, size, runs, o, false));
            if (o.containsKey("--tls")) {
                rows.addAll(pair("tls", channels, size, runs, o, false));
            }
            if (o.containsKey("--fresh")) {
                rows.addAll(pair("multifd", channels, size, 1, o, true));
            }
            if (!o.containsKey("--no-iperf")) {
                Map<String, String> ip = iperf(channels);
                if (ip != null) {
                    rows.add(ip);
                }
            }
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "%-8s %4s %-6s %-7s %10s %10s %12s %12s %15s %15s %s%n", "mode", "ch", "codec",
                "memory", "wire GB/s", "RAM GB/s", "snd CPU s/GB", "rcv CPU s/GB", "snd user/sys s", "rcv user/sys s",
                "tls");
        for (Map<String, String> r : rows) {
            System.out.printf(Locale.ROOT, "%-8s %4s %-6s %-7s %10s %10s %12s %12s %15s %15s %s%n", r.get("mode"),
                    r.get("channels"), r.getOrDefault("codec", "-"), r.getOrDefault("memory", "-"), r.get("wireGBps"),
                    r.getOrDefault("ramGBps", "-"), r.getOrDefault("senderCpuPerGB", "-"),
                    r.getOrDefault("receiverCpuPerGB", "-"),
                    r.getOrDefault("senderUser", "-") + "/" + r.getOrDefault("senderSys", "-"),
                    r.getOrDefault("receiverUser", "-") + "/" + r.getOrDefault("receiverSys", "-"),
                    r.getOrDefault("tls", "-"));
        }
    }

    /** Runs one receiver and one sender JVM for (warm-up + runs) migrations; returns the measured rows. */
    static List<Map<String, String>> pair(String mode, int channels, long size, int runs, Map<String, String> o,
                                          boolean fresh) throws Exception {
        List<String> common = new ArrayList<>(List.of("--mode", mode, "--channels", Integer.toString(channels),
                "--size", Long.toString(size), "--runs", Integer.toString(runs),
                "--codec", o.get("--codec"), "--max-bandwidth", o.get("--max-bandwidth"),
                "--content", o.get("--content")));
        if (o.containsKey("--level")) {
            common.add("--level");
            common.add(o.get("--level"));
        }
        if (fresh) {
            common.add("--fresh");
            common.add("--fresh-memory");
            common.add(o.getOrDefault("--fresh-memory", "shm"));
        }
        if (o.containsKey("--image")) {
            common.add("--image");
            common.add(o.get("--image"));
        }
        if (o.containsKey("--batch")) {
            common.add("--batch");
            common.add(o.get("--batch"));
        }
        if (o.containsKey("--tls-dir")) {
            common.add("--tls-dir");
            common.add(o.get("--tls-dir"));
        }
        if (o.containsKey("--soak")) {
            common.add("--soak");
        }
        if (o.containsKey("--checksum")) {
            common.add("--checksum");
            common.add(o.get("--checksum"));
        }
        if (o.containsKey("--raw-chunk")) {
            common.add("--raw-chunk");
            common.add(o.get("--raw-chunk"));
        }
        List<String> rxArgs = new ArrayList<>(common);
        rxArgs.add(0, "receiver");
        Process rx = Roles.spawn(rxArgs);
        BufferedReader rxOut = new BufferedReader(new InputStreamReader(rx.getInputStream(), StandardCharsets.UTF_8));
        String port = null;
        String line;
        while ((line = rxOut.readLine()) != null) {
            if (line.startsWith("PORT ")) {
                port = line.substring(5).trim();
                break;
            }
            System.out.println("[receiver] " + line);
        }
        if (port == null) {
            throw new IOException("the receiver did not start: exit " + rx.waitFor());
        }
        List<String> txArgs = new ArrayList<>(common);
        txArgs.add(0, "sender");
        txArgs.add("--port");
        txArgs.add(port);
        Process tx = Roles.spawn(txArgs);
        BufferedReader txOut = new BufferedReader(new InputStreamReader(tx.getInputStream(), StandardCharsets.UTF_8));
        Map<Integer, Map<String, String>> byRun = new LinkedHashMap<>();
        Thread rxReader = new Thread(() -> collect(rxOut, "receiver", byRun));
        rxReader.start();
        collect(txOut, "sender", byRun);
        if (!tx.waitFor(30, TimeUnit.MINUTES) || !rx.waitFor(5, TimeUnit.MINUTES)) {
            tx.destroyForcibly();
            rx.destroyForcibly();
            throw new IOException("a role did not end");
        }
        rxReader.join();
        if (tx.exitValue() != 0 || rx.exitValue() != 0) {
            throw new IOException(mode + " with " + channels + " channels failed: sender exit " + tx.exitValue()
                    + ", receiver exit " + rx.exitValue());
        }
        List<Map<String, String>> rows = new ArrayList<>();
        for (Map.Entry<Integer, Map<String, String>> e : byRun.entrySet()) {
            if (e.getKey() == 0) {
                continue; // warm-up
            }
            Map<String, String> r = e.getValue();
            double secs = Math.max(Double.parseDouble(r.get("senderSeconds")), Double.parseDouble(r.getOrDefault(
                    "receiverSeconds", r.get("senderSeconds"))));
            double gb = size / 1e9;
            r.put("wireGBps", fmt(Double.parseDouble(r.get("wireBytes")) / 1e9 / secs));
            r.put("ramGBps", fmt(gb / secs));
            r.put("senderCpuPerGB", fmt(Double.parseDouble(r.get("senderCpu")) / gb));
            r.put("receiverCpuPerGB", fmt(Double.parseDouble(r.getOrDefault("receiverCpu", "0")) / gb));
            r.put("memory", fresh ? o.getOrDefault("--fresh-memory", "shm") : "faulted");
            r.put("mode", mode);
            r.put("channels", Integer.toString(channels));
            r.put("run", Integer.toString(e.getKey()));
            System.out.println("RESULT " + r);
            rows.add(r);
        }
        return rows;
    }

    /** Reads "RUN k key=value ..." lines of one role into byRun. */
    private static void collect(BufferedReader in, String who, Map<Integer, Map<String, String>> byRun) {
        try {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("RUN ")) {
                    String[] f = line.split(" ");
                    int run = Integer.parseInt(f[1]);
                    synchronized (byRun) {
                        Map<String, String> m = byRun.computeIfAbsent(run, k -> new LinkedHashMap<>());
                        for (int i = 2; i < f.length; i++) {
                            int eq = f[i].indexOf('=');
                            m.put(f[i].substring(0, eq), f[i].substring(eq + 1));
                        }
                    }
                }
                System.out.println("[" + who + "] " + line);
            }
        } catch (IOException e) {
            System.out.println("[" + who + "] output ended: " + e);
        }
    }

    /** iperf3 with {@code streams} parallel streams over loopback for 5 s, or null if not installed. */
    static Map<String, String> iperf(int streams) throws Exception {
        if (!Files.isExecutable(Path.of("/usr/bin/iperf3"))) {
            System.out.println("iperf3 not installed (apt-get install -y iperf3): skipped");
            return null;
        }
        Process server = new ProcessBuilder("/usr/bin/iperf3", "-s", "-1", "-p", "5299").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            Process client = null;
            String out = "";
            for (int attempt = 0; attempt < 50; attempt++) {
                client = new ProcessBuilder("/usr/bin/iperf3", "-c", "127.0.0.1", "-p", "5299", "-P",
                        Integer.toString(streams), "-t", "5", "-f", "g").redirectErrorStream(true).start();
                out = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (client.waitFor() == 0) {
                    break;
                }
                Thread.sleep(100); // the server is starting: retry the connection (bench tool, not library code)
            }
            String sum = null;
            for (String l : out.split("\n")) {
                if (l.contains("receiver") && (streams == 1 || l.contains("[SUM]"))) {
                    sum = l;
                }
            }
            Map<String, String> r = new LinkedHashMap<>();
            r.put("mode", "iperf3");
            r.put("channels", Integer.toString(streams));
            String gbps = "?";
            if (sum != null) {
                String[] f = sum.trim().split("\\s+");
                for (int i = 1; i < f.length; i++) {
                    if (f[i].equals("Gbits/sec")) {
                        gbps = fmt(Double.parseDouble(f[i - 1]) / 8);
                    }
                }
            }
            r.put("wireGBps", gbps);
            System.out.println("RESULT " + r);
            return r;
        } finally {
            server.destroy();
            server.waitFor(5, TimeUnit.SECONDS);
        }
    }

    static String fmt(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }
}
