package io.multifd.core.session;

import java.time.Duration;

/** Formats durations for messages: "30 s", "250 ms". */
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
        return Math.max(0, nanos / 1_000_000) + " ms";
    }

    /**
     * @param d a duration
     * @return its text form
     */
    public static String format(Duration d) {
        return format(d.toNanos());
    }
}
