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

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link ThreadCpu}: thread names fold into groups, and a thread that used CPU and ended before
 * the measurement still counts with (about) the CPU the JVM itself saw it use.
 */
@Timeout(60)
class ThreadCpuTest {

    @Test
    void namesFoldIntoGroupsWithoutTheirHexOrNumberSuffix() {
        assertThat(ThreadCpu.group("multifd-send-3f")).isEqualTo("multifd-send");
        assertThat(ThreadCpu.group("GC Thread#1")).isEqualTo("GC Thread");
        assertThat(ThreadCpu.group("reader-12")).isEqualTo("reader");
        assertThat(ThreadCpu.group("main")).isEqualTo("main");
        assertThat(ThreadCpu.group("C2 CompilerThre")).isEqualTo("C2 CompilerThre");
        assertThat(ThreadCpu.group("ends-with-dash-")).isEqualTo("ends-with-dash-");
        assertThat(ThreadCpu.group("x-ZZ")).as("not hex").isEqualTo("x-ZZ");
    }

    @Test
    void jsonRoundsToMillisecondsAndDropsQuotes() {
        Map<String, Double> m = new TreeMap<>(Map.of("a\"b", 1.6, "c", 10.2));
        assertThat(ThreadCpu.json(m)).isEqualTo("{\"ab\":2,\"c\":10}");
        assertThat(ThreadCpu.json(Map.of())).isEqualTo("{}");
    }

    @Test
    void aThreadThatEndedBeforeTheMeasurementCountsWithTheCpuItUsed() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/task")), "Linux /proc only");
        var mx = ManagementFactory.getThreadMXBean(); // loaded here, not on the thread measured
        ThreadCpu cpu = ThreadCpu.start();
        long[] own = new long[1];
        Thread t = new Thread(() -> {
            long t0 = mx.getCurrentThreadCpuTime();
            long x = 1;
            while (mx.getCurrentThreadCpuTime() - t0 < 200_000_000L) { // 200 ms of CPU: the work measured
                for (int i = 0; i < 100_000; i++) {
                    x = x * 6364136223846793005L + 1442695040888963407L;
                }
            }
            own[0] = mx.getCurrentThreadCpuTime() - t0 + (x == 42 ? 1 : 0);
        }, "cpu-burner-7");
        t.start();
        t.join();
        Map<String, Double> groups = cpu.sinceStartMillis();
        assertThat(groups).containsKey("cpu-burner");
        // sampled every 20 ms: what the thread did after the last sample before it ended is
        // missing (more than one period on a loaded machine, so the bound is loose); never more
        assertThat(groups.get("cpu-burner")).isBetween(own[0] / 1e6 - 100, own[0] / 1e6 + 10);
    }
}
