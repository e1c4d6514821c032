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

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * CPU time per group of this process's threads between two moments, sampled every 20 ms so that
 * threads which end before the second moment (a session's channel threads) still count, from Linux's
 * {@code /proc/self/task/<tid>/schedstat} (nanoseconds on a CPU) and {@code comm} (the thread's
 * name as the kernel knows it, at most 15 characters). Unlike {@code ThreadMXBean} it sees the
 * JVM's own threads too (the JIT compilers, the garbage collector). A thread's group is its name
 * without a trailing {@code -<hex or digits>} or {@code #<digits>}, so the channel threads of all
 * sessions add up. Empty where {@code /proc} is not there.
 *
 * <p>{@link #start()} and {@link #sinceStartMillis()} are called by the thread that measures; the
 * samples are taken by a daemon thread of this class, which {@link #sinceStartMillis()} stops
 * (its own CPU is reported as the group {@code thread-cpu}).
 */
final class ThreadCpu {

    private final Map<String, Long> start;
    private final Map<String, Long> last = new HashMap<>(); // guarded by this
    private final Thread sampler;
    private volatile boolean stop;

    private ThreadCpu(Map<String, Long> start) {
        this.start = start;
        this.sampler = new Thread(() -> {
            while (!stop) {
                sample();
                java.util.concurrent.locks.LockSupport.parkNanos(20_000_000L); // a sampling period, not a wait
            }
        }, "thread-cpu");
        sampler.setDaemon(true);
        sampler.start();
    }

    private synchronized void sample() {
        last.putAll(read());
    }

    /** Takes the first snapshot and starts sampling. */
    static ThreadCpu start() {
        return new ThreadCpu(read());
    }

    /**
     * The CPU milliseconds each group used since {@link #start()}, sorted by name. A thread that ended
     * in between counts with its last sample.
     */
    Map<String, Double> sinceStartMillis() {
        stop = true;
        sampler.interrupt();
        try {
            sampler.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sample();
        Map<String, Long> now;
        synchronized (this) {
            now = new HashMap<>(last);
        }
        Map<String, Double> groups = new TreeMap<>();
        for (Map.Entry<String, Long> e : now.entrySet()) {
            long before = start.getOrDefault(e.getKey(), 0L);
            String name = e.getKey().substring(e.getKey().indexOf(' ') + 1);
            groups.merge(group(name), (e.getValue() - before) / 1e6, Double::sum);
        }
        groups.values().removeIf(v -> v < 0.5);
        return groups;
    }

    /** The groups as one JSON object of rounded milliseconds. */
    static String json(Map<String, Double> groups) {
        StringBuilder sb = new StringBuilder("{");
        groups.forEach((k, v) -> sb.append(sb.length() > 1 ? "," : "").append('"').append(k.replace("\"", ""))
                .append("\":").append(String.format(Locale.ROOT, "%.0f", v)));
        return sb.append('}').toString();
    }

    static String group(String name) {
        String n = name.strip();
        int dash = Math.max(n.lastIndexOf('-'), n.lastIndexOf('#'));
        if (dash > 0 && n.substring(dash + 1).matches("[0-9a-f]+")) {
            return n.substring(0, dash);
        }
        return n;
    }

    /** "tid name" to nanoseconds on a CPU. */
    private static Map<String, Long> read() {
        Map<String, Long> m = new HashMap<>();
        Path tasks = Path.of("/proc/self/task");
        if (!Files.isDirectory(tasks)) {
            return m;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(tasks)) {
            for (Path t : ds) {
                try {
                    String comm = Files.readString(t.resolve("comm")).strip();
                    String sched = Files.readString(t.resolve("schedstat")).strip();
                    long ns = Long.parseLong(sched.substring(0, sched.indexOf(' ')));
                    m.put(t.getFileName() + " " + comm, ns);
                } catch (IOException | RuntimeException ended) {
                    // the thread ended while we looked
                }
            }
        } catch (IOException e) {
            return m;
        }
        return m;
    }
}
