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
package io.multifd.examples.cli;

import io.multifd.api.ChannelStats;
import io.multifd.api.EpochStats;
import io.multifd.api.MigrationStats;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * {@code --stats-interval SECONDS}: prints one JSON line per interval on stdout while a migration
 * runs, like QEMU's {@code info migrate}: {@code {"event":"stats","role":...,"seconds":...,
 * "packets":...,"raw_bytes":...,"wire_bytes":...,"syncs":...,"wire_bytes_per_s":...,
 * "channels":[...]}}. The figures come from one {@link MigrationStats} snapshot, so the
 * channels' {@code wire_bytes} add up to the line's {@code wire_bytes}; {@code wire_bytes_per_s}
 * is the rate over the last interval. The final result, printed after {@link #close()}, is the
 * last line and carries {@code "event":"result"}.
 *
 * <p>Runs its own daemon thread ({@code multifd-cli-stats}), which waits on a latch between lines
 * (no busy wait) and ends at {@link #close()}. The stats supplier is called on that thread.
 * {@code out} is shared with the command: {@link PrintWriter} serialises the lines.
 */
final class StatsTicker implements AutoCloseable {

    private final Supplier<MigrationStats> stats;
    private final LongSupplier maxBandwidth;
    private final String role;
    private final PrintWriter out;
    private final long intervalNanos;
    private final CountDownLatch stop = new CountDownLatch(1);
    private final Thread thread;

    /**
     * Starts printing, or does nothing if {@code intervalSeconds} is null.
     *
     * @param intervalSeconds the interval, or null for no lines
     * @param role            "send" or "recv"
     * @param stats           the live statistics; called on the ticker's thread
     * @param maxBandwidth    the sender's cap now (bytes per second, 0 for none), or null on the receiver
     * @param out             stdout
     */
    StatsTicker(Double intervalSeconds, String role, Supplier<MigrationStats> stats, LongSupplier maxBandwidth,
                PrintWriter out) {
        this.stats = stats;
        this.maxBandwidth = maxBandwidth;
        this.role = role;
        this.out = out;
        this.intervalNanos = intervalSeconds == null ? 0 : (long) (intervalSeconds * 1e9);
        if (intervalSeconds == null) {
            thread = null;
            return;
        }
        thread = new Thread(this::run, "multifd-cli-stats");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Checks {@code --stats-interval}.
     *
     * @param seconds the option's value, or null
     * @throws UsageException if not between 0.1 and 86400 seconds
     */
    static void check(Double seconds) {
        if (seconds != null && (!(seconds >= 0.1) || seconds > 86_400)) {
            throw new UsageException("--stats-interval must be 0.1 to 86400 seconds: " + seconds);
        }
    }

    private void run() {
        long lastWire = 0;
        long lastNanos = System.nanoTime();
        try {
            while (!stop.await(intervalNanos, TimeUnit.NANOSECONDS)) {
                MigrationStats s = stats.get();
                long now = System.nanoTime();
                double secs = (now - lastNanos) / 1e9;
                Json line = new Json().put("event", "stats").put("role", role)
                        .put("seconds", s.elapsed().toNanos() / 1e9)
                        .put("packets", s.packets())
                        .put("raw_bytes", s.rawBytes())
                        .put("wire_bytes", s.wireBytes())
                        .put("syncs", s.syncs())
                        .put("wire_bytes_per_s", secs > 0 ? Math.max(0, s.wireBytes() - lastWire) / secs : 0.0);
                if (maxBandwidth != null) {
                    line.put("max_bandwidth", maxBandwidth.getAsLong());
                }
                line.put("channels", channels(s));
                out.println(line);
                lastWire = s.wireBytes();
                lastNanos = now;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            // a statistics line must never break a transfer
        }
    }

    /** Stops printing; when it returns, no further line is printed. Idempotent. */
    @Override
    public void close() {
        if (thread == null) {
            return;
        }
        stop.countDown();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The per-channel figures as JSON objects: {@code channel}, {@code packets}, {@code raw_bytes},
     * {@code wire_bytes}, {@code syncs}, {@code write_blocked_s}, {@code read_blocked_s}.
     *
     * @param s a snapshot
     * @return one object per channel, by channel id
     */
    static List<Json> channels(MigrationStats s) {
        List<Json> out = new ArrayList<>(s.perChannel().size());
        for (ChannelStats c : s.perChannel()) {
            out.add(new Json().put("channel", c.channel()).put("packets", c.packets()).put("raw_bytes", c.rawBytes())
                    .put("wire_bytes", c.wireBytes()).put("syncs", c.syncs())
                    .put("write_blocked_s", c.writeBlocked().toNanos() / 1e9)
                    .put("read_blocked_s", c.readBlocked().toNanos() / 1e9));
        }
        return out;
    }

    /**
     * The per-round figures (the engine's sync epochs) as JSON objects: {@code epoch},
     * {@code packets}, {@code raw_bytes}, {@code wire_bytes}, {@code seconds}.
     *
     * @param s a snapshot
     * @return one object per completed epoch, oldest first
     */
    static List<Json> rounds(MigrationStats s) {
        List<Json> out = new ArrayList<>(s.perEpoch().size());
        for (EpochStats e : s.perEpoch()) {
            out.add(new Json().put("epoch", e.epoch()).put("packets", e.packets()).put("raw_bytes", e.rawBytes())
                    .put("wire_bytes", e.wireBytes()).put("seconds", e.elapsed().toNanos() / 1e9));
        }
        return out;
    }
}
