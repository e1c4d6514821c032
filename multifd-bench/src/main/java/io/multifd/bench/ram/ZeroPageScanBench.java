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

import io.multifd.ram.internal.ZeroPages;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * Zero-page detection over a 1 GiB working set (far beyond every cache, so memory bandwidth is
 * what is measured), one operation per page: the score is ns per page; GB/s = pageSize / score.
 *
 * <ul>
 *   <li>{@code ZERO}: every page is zero, so every byte is read (the spot checks pass).</li>
 *   <li>{@code LATE_NONZERO}: each page's only non-zero byte is 64 bytes before its end, past
 *       the spot checks (first, middle, last byte), so the vectorized mismatch reads almost the
 *       whole page.</li>
 *   <li>{@code EARLY_NONZERO}: the first byte is non-zero: the spot check answers at once.</li>
 * </ul>
 * Baseline {@code readLongs} sums the same memory with {@code getLong}: a plain read bandwidth.
 *
 * <p>Run: {@code java -jar multifd-bench/target/benchmarks.jar ZeroPageScanBench -f 1 -wi 2 -i 5}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ZeroPageScanBench {

    static final int WORKING_SET = 1 << 30;
    static final int PAGE = 4096;
    static final int PAGES = WORKING_SET / PAGE;

    @Param({"ZERO", "LATE_NONZERO", "EARLY_NONZERO"})
    public String content;

    ByteBuffer memory;
    ByteBuffer view;
    ZeroPages.Scanner scanner;

    @Setup(Level.Trial)
    public void setUp() {
        memory = ByteBuffer.allocateDirect(WORKING_SET); // zeroed: every page is backed by real memory
        for (int p = 0; p < PAGES; p++) {
            int base = p * PAGE;
            switch (content) {
                case "LATE_NONZERO" -> memory.put(base + PAGE - 64, (byte) 1);
                case "EARLY_NONZERO" -> memory.put(base, (byte) 1);
                default -> memory.put(base + 8, (byte) 0);
            }
        }
        view = memory.duplicate();
        scanner = new ZeroPages.Scanner();
    }

    @Benchmark
    @OperationsPerInvocation(PAGES)
    public int scan() {
        int zero = 0;
        for (int p = 0; p < PAGES; p++) {
            if (scanner.isZero(view, p * PAGE, PAGE)) {
                zero++;
            }
        }
        return zero;
    }

    @Benchmark
    @OperationsPerInvocation(PAGES)
    public long readLongs() {
        long sum = 0;
        ByteBuffer m = memory;
        for (int i = 0; i < WORKING_SET; i += 8) {
            sum += m.getLong(i);
        }
        return sum;
    }
}
