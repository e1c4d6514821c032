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
package io.multifd.core.session;

import java.time.Duration;

/** Formats durations and rates for messages: "30 s", "250 ms", "12.5 MiB/s". */
public final class Durations {

    private Durations() {
    }

    /**
     * @param nanos a duration in nanoseconds
     * @return it in seconds when at least one second, otherwise in milliseconds
     */
    public static String format(long nanos) {
        if (nanos >= 1_000_000_000L) {
            double s = nanos / 1e9;
            return (s == Math.rint(s) ? Long.toString((long) s) : String.format(java.util.Locale.ROOT, "%.1f", s)) + " s";
        }
        if (nanos > 0 && nanos < 1_000_000L) {
            return Math.max(1, nanos / 1_000) + " us"; // a sub-millisecond timeout said "0 ms"
        }
        return Math.max(0, nanos / 1_000_000) + " ms";
    }

    /**
     * @param d a duration
     * @return its text form
     */
    public static String format(Duration d) {
        return format(d.toNanos());
    }

    /**
     * @param bytes a byte count
     * @return it in binary units, such as "512.0 MiB" or "100 B"
     */
    public static String bytes(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
    }

    /**
     * @param bytesPerSecond a bandwidth cap, 0 for none
     * @return it as text, such as "12.0 MiB/s" or "no cap"
     */
    public static String rate(long bytesPerSecond) {
        return bytesPerSecond == 0 ? "no cap" : bytes(bytesPerSecond) + "/s";
    }
}
