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
package io.multifd.ram.internal;

import java.util.Arrays;

/**
 * Latencies in nanoseconds, kept for percentiles: the first {@value #CAPACITY} samples are kept
 * (8 MiB at most), later ones only counted and folded into the maximum. Thread-safe (a lock per
 * call; samples are rare next to packets).
 */
public final class LatencyLog {

    /** Samples kept at most. */
    public static final int CAPACITY = 1 << 20;

    private long[] samples = new long[256];
    private int kept;
    private long count;
    private long max;

    /**
     * Adds a sample.
     *
     * @param nanos the latency
     */
    public synchronized void add(long nanos) {
        count++;
        max = Math.max(max, nanos);
        if (kept == CAPACITY) {
            return;
        }
        if (kept == samples.length) {
            samples = Arrays.copyOf(samples, Math.min(CAPACITY, samples.length * 2));
        }
        samples[kept++] = nanos;
    }

    /**
     * The summary of the samples so far.
     *
     * @return count, p50, p99 and max in nanoseconds (zeros without samples)
     */
    public synchronized Summary summary() {
        if (kept == 0) {
            return new Summary(count, 0, 0, max);
        }
        long[] sorted = Arrays.copyOf(samples, kept);
        Arrays.sort(sorted);
        return new Summary(count, percentile(sorted, 50), percentile(sorted, 99), max);
    }

    private static long percentile(long[] sorted, int p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    /**
     * A latency summary.
     *
     * @param count     samples
     * @param p50Nanos  median
     * @param p99Nanos  99th percentile
     * @param maxNanos  largest
     */
    public record Summary(long count, long p50Nanos, long p99Nanos, long maxNanos) {
    }
}
