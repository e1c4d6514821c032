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

import io.multifd.api.CodecOptions;
import io.multifd.api.DataChecksum;
import io.multifd.api.MigrationStats;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.PayloadStats;
import io.multifd.api.spi.Codec;
import io.multifd.core.MultiFdSender;
import io.multifd.core.PluginRegistry;
import io.multifd.devicestate.DeviceStateSaver;
import io.multifd.ram.DirtyBitmap;
import io.multifd.ram.PostCopy;
import io.multifd.ram.PostcopyPausedException;
import io.multifd.ram.PreCopy;
import io.multifd.ram.RamBlock;
import io.multifd.ram.RamPayload;
import io.multifd.ram.RamSaver;
import io.multifd.ram.RoundListener;
import io.multifd.ram.RoundStats;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code multifd send --connect HOST:PORT --image FILE} (or {@code --unix PATH}): migrates an
 * image file as one RAM block, optionally while writer threads dirty it, with a device state
 * alongside.
 *
 * <p>Exit status ({@link ExitStatus}): 0 once the receiver confirmed the migration; 2 a wrong
 * command line (checked before connecting); 3 the receiver could not be reached within
 * {@code --connect-timeout}, or a channel was lost or stalled for {@code --io-timeout}; 4 the
 * receiver refused the hello or the manifest (codec not allowed, too many channels, image over
 * its {@code --max-size}); 5 the receiver's replies were malformed; 6 cancelled by SIGINT or
 * SIGTERM (the receiver is told: the sender aborts); 1 anything else, for instance the receiver
 * failing on its side. With {@code --json} the object's {@code status} and {@code exit_code}
 * say the same.
 */
@Command(name = "send", sortOptions = false, mixinStandardHelpOptions = true,
        description = {"Migrates an image file, as one RAM block, to a receiver (multifd recv).",
                "",
                "Without --dirty-rate the image is mapped read-only (and read ahead in full before connecting when it "
                        + "takes at most half of the memory) and sent once (1 round). With --dirty-rate, "
                        + "writer threads keep dirtying random pages while pre-copy rounds resend them until they "
                        + "converge; then the writers are paused and the final round runs. The writers change a "
                        + "private copy-on-write mapping of FILE (FileChannel.MapMode.PRIVATE), never the file "
                        + "itself (pages are copied only when first written); files this user may not open for "
                        + "writing are copied into memory instead.",
                "A size that is not a multiple of the page size works: the last partial page travels with "
                        + "exactly its bytes. sha256 in the result covers exactly the memory as it stood at the "
                        + "end, which the receiver's sha256 must equal.",
                "Before it connects, the process first runs a small migration inside itself so that the JIT has "
                        + "compiled the migration's code (warm_up_seconds in --json; MULTIFD_WARMUP=off skips it, "
                        + "MULTIFD_WARMUP=SIZE sets its size: 24M by default, 128M with TLS).", ""},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:the receiver confirmed the migration"})
public final class SendCommand extends BaseCommand {

    /** Name of the RAM block the image becomes. */
    static final String BLOCK_NAME = "image";
    /** Device id of the device state {@code --device-state} sends. */
    static final String DEVICE_ID = "cli-device";

    @picocli.CommandLine.Mixin TlsOptions tls; // --tls-cert, --tls-key, --tls-trust, --tls-allow

    @ArgGroup(exclusive = true, multiplicity = "1")
    TransportOptions.Connect connect;

    @Option(names = "--image", required = true, paramLabel = "FILE", description = "The image to migrate (any size).")
    Path image;

    @Option(names = "--channels", paramLabel = "N", defaultValue = "2",
            description = "Parallel TCP channels, 1 to 255 (default: ${DEFAULT-VALUE}).")
    int channels;

    @Option(names = "--codec", paramLabel = "CODEC", defaultValue = "none",
            description = "none, zstd, lz4 or zlib (default: ${DEFAULT-VALUE}); the receiver learns it from the sender.")
    String codecName;

    @Option(names = "--level", paramLabel = "L",
            description = "The codec's level: zstd -131072..22 (default 1; negative = fast modes), lz4 -65537..17 "
                    + "(default -3; 0 = fast; -N = fast with acceleration N, like lz4 --fast=N; 1..17 = HC), "
                    + "zlib 0..9 (default 1).")
    Integer level;

    @Option(names = "--page-size", paramLabel = "SIZE", defaultValue = "4K", converter = Converters.Size.class,
            description = "The RAM page size, a power of two from 512 to 2M (default: ${DEFAULT-VALUE}).")
    long pageSize;

    @Option(names = "--dirty-rate", paramLabel = "PAGES_PER_S", defaultValue = "0",
            description = "Pages per second that writer threads dirty while the migration runs (default 0: static image).")
    long dirtyRate;

    @Option(names = "--max-bandwidth", paramLabel = "BYTES_PER_S", defaultValue = "0", converter = Converters.Size.class,
            description = "Cap on the bytes per second written on all channels together, e.g. 100M (default 0: none).")
    long maxBandwidth;

    @Option(names = "--device-state", paramLabel = "SIZE", converter = Converters.Size.class,
            description = "Also migrate a device state of SIZE deterministic bytes, on the same channels, "
                    + "at the same time as the RAM.")
    Long deviceState;

    @Option(names = "--connect-timeout", paramLabel = "SECONDS", defaultValue = "10",
            description = "How long to keep trying to reach the receiver (default: ${DEFAULT-VALUE}).")
    double connectTimeout;

    @Option(names = "--max-rounds", paramLabel = "N", defaultValue = "30",
            description = "With --dirty-rate: the most pre-copy rounds, the final one included (default: ${DEFAULT-VALUE}).")
    int maxRounds;

    @Option(names = "--postcopy", description = "Switch to post-copy if pre-copy has not converged after "
            + "--postcopy-after-rounds rounds: pause the writers, send the device state and the list of pages the "
            + "receiver lacks, let the receiver run, then send every missing page once, pages it asks for first.")
    boolean postcopy;

    @Option(names = "--postcopy-after-rounds", paramLabel = "N", defaultValue = "2",
            description = "With --postcopy: pre-copy rounds before the switch-over, round 1 included; 0 switches "
                    + "over at once and sends every page exactly once after it (default ${DEFAULT-VALUE}).")
    int postcopyAfterRounds;

    @Option(names = "--resume-timeout", paramLabel = "SECONDS", defaultValue = "0",
            description = "With --postcopy: if the link breaks after the receiver was released, keep the memory "
                    + "and open new connections that resume the post-copy for up to SECONDS (default 0: fail); "
                    + "counted per pause: a resumed session that moved pages and broke again gets SECONDS anew. "
                    + "Give it more than the receiver's --io-timeout: a break only this side sees (a reset that "
                    + "never reached the receiver) reaches the receiver only when its I/O times out.")
    double resumeTimeout;

    @Option(names = "--stats-interval", paramLabel = "SECONDS",
            description = "While the migration runs, print one JSON line of statistics (totals and per channel) "
                    + "every SECONDS on stdout, like QEMU's info migrate; the result stays the last line.")
    Double statsInterval;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1",
            description = "Seed of the writers' page choice and of the device state's bytes (default: ${DEFAULT-VALUE}).")
    long seed;

    @Mixin
    TransportOptions.IoTimeout ioTimeout;

    @Option(names = "--checksum", paramLabel = "WHAT", defaultValue = "encoded", converter = Converters.Checksum.class,
            description = "Which packet data carries a CRC32C besides every header: off, encoded (a codec's "
                    + "output and device state; the default) or all (raw pages too, at the cost of one copy "
                    + "per packet).")
    DataChecksum checksum;

    /** Made by picocli. */
    public SendCommand() {
    }

    @Override
    protected int run() throws Exception {
        // ---- everything a user can get wrong is checked before any connection
        if (channels < 1 || channels > MultiFdConfig.MAX_CHANNELS) {
            throw new UsageException("--channels must be 1 to " + MultiFdConfig.MAX_CHANNELS + ": " + channels);
        }
        int ps = checkPageSize(pageSize);
        if (dirtyRate < 0 || dirtyRate > 100_000_000) {
            throw new UsageException("--dirty-rate must be 0 to 100000000 pages per second: " + dirtyRate);
        }
        if (maxBandwidth != 0 && maxBandwidth < 4096) {
            throw new UsageException("--max-bandwidth must be 0 (none) or at least 4K bytes per second: " + maxBandwidth);
        }
        if (!(connectTimeout > 0) || connectTimeout > 86_400) {
            throw new UsageException("--connect-timeout must be more than 0 and at most 86400 seconds: " + connectTimeout);
        }
        if (!(resumeTimeout >= 0) || resumeTimeout > 86_400) {
            throw new UsageException("--resume-timeout must be 0 to 86400 seconds: " + resumeTimeout);
        }
        if (resumeTimeout > 0 && !postcopy) {
            throw new UsageException("--resume-timeout resumes a broken post-copy: it needs --postcopy");
        }
        if (postcopyAfterRounds < 0 || postcopyAfterRounds > 1000) {
            throw new UsageException("--postcopy-after-rounds must be 0 to 1000: " + postcopyAfterRounds);
        }
        if (maxRounds < 2) {
            throw new UsageException("--max-rounds must be at least 2: " + maxRounds);
        }
        StatsTicker.check(statsInterval);
        long size = ImageFile.checkImage(image);
        PluginRegistry registry = PluginRegistry.discover();
        Codec codec = codec(registry, codecName);
        CodecOptions options = level == null ? CodecOptions.NONE : CodecOptions.level(level);
        try {
            codec.validate(options);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--level " + level + " is not valid for " + codecName + ": " + e.getMessage());
        }
        codec.checkAvailable();
        var connector = tls.connector(connect); // TLS over TCP or the Unix socket with --tls-*

        MultiFdConfig config = ioTimeout.apply(MultiFdConfig.builder())
                .channels(channels)
                .codec(codecName, options)
                .maxBandwidth(maxBandwidth)
                .connectTimeout(Duration.ofMillis((long) (connectTimeout * 1000)))
                .dataChecksum(checksum)
                .build();

        // ---- the memory, and the JIT, before connecting
        long loading = System.nanoTime();
        RamBlock block = ImageFile.load(image, size, ps, dirtyRate > 0); // mapped (and read ahead) before connecting
        double warmUp = Warmup.runIfEnabled(config, tls.warmUpConfig(), null, cancellation, err(), verbose()); // -1: none
        double prepareSeconds = (System.nanoTime() - loading) / 1e9;

        Json json = new Json().put("event", "result").put("status", "failed").put("exit_code", ExitStatus.FAILED).put("role", "send")
                .put("prepare_seconds", prepareSeconds);
        if (warmUp >= 0) {
            json.put("warm_up_seconds", warmUp);
        }
        long t0 = System.nanoTime();
        Progress progress = new Progress(Progress.detect(common.quiet()), "send", err(), 2);
        SendListener listener = new SendListener(progress, ps);
        DirtyWriters writers = null;
        DeviceThread device = null;
        StatsTicker ticker = null;
        MultiFdSender sender = MultiFdSender.builder(config, connector)
                .registry(registry).build();
        listener.sender = sender;
        // Ctrl-C / SIGTERM: abort, which tells the receiver; the blocked call below then throws
        Cancellation.Registration cancel = cancellation.onCancel(sender::close);
        try {
            RamSaver saver = (postcopy ? RamSaver.openForPostcopy(sender, List.of(block))
                    : RamSaver.open(sender, List.of(block))).roundListener(listener);
            DeviceStateSaver deviceSaver = deviceState == null ? null : DeviceStateSaver.open(sender);
            sender.connect();
            ticker = new StatsTicker(statsInterval, "send", sender::stats, sender::maxBandwidth, out());
            progress.note("connected to " + connect + ": " + channels + " channel" + (channels == 1 ? "" : "s")
                    + ", codec " + codecName + ", " + Sizes.human(size) + " image");
            if (deviceSaver != null) {
                device = new DeviceThread(deviceSaver, deviceState, seed);
                if (!postcopy) {
                    device.start(); // beside the rounds; with post-copy, at the switch-over
                }
            }
            int rounds;
            PreCopy.Result preCopy = null;
            PostCopy.Result postCopy = null;
            PostCopy driver = null;
            IOException paused = null;
            if (postcopy) {
                DirtyBitmap dirty = new DirtyBitmap(block);
                DirtyWriters w = dirtyRate > 0 ? new DirtyWriters(block, dirty, dirtyRate, seed) : null;
                writers = w;
                if (w != null) {
                    w.start();
                }
                DeviceThread d = device;
                PostCopy.Builder b = PostCopy.builder(saver, List.of(dirty)).afterRounds(postcopyAfterRounds)
                        .pause((converged, pages, estimate) -> {
                            if (w != null) {
                                w.stop();
                            }
                        });
                if (d != null) {
                    b.switchover(() -> {
                        d.start();
                        d.await();
                    });
                }
                driver = b.build();
                try {
                    postCopy = driver.run();
                } catch (PostcopyPausedException e) {
                    paused = e;
                }
                rounds = postCopy == null ? listener.rounds() : postCopy.rounds().size();
                if (d != null && postCopy != null && !postCopy.postcopy()) {
                    d.start(); // pre-copy converged: the device state goes before the end
                }
            } else if (dirtyRate > 0) {
                DirtyBitmap dirty = new DirtyBitmap(block);
                DirtyWriters w = new DirtyWriters(block, dirty, dirtyRate, seed);
                writers = w;
                w.start();
                preCopy = PreCopy.builder(saver, List.of(dirty)).maxRounds(maxRounds)
                        .pause((converged, pages, estimate) -> w.stop())
                        .build().run();
                rounds = preCopy.rounds().size();
            } else {
                saver.saveAll();
                rounds = 1;
            }
            if (device != null) {
                device.await();
            }
            MigrationStats stats = null;
            if (paused == null) {
                try {
                    stats = sender.finish();
                } catch (IOException e) {
                    if (driver == null || !driver.released() || resumeTimeout <= 0) {
                        throw e;
                    }
                    paused = e; // the end exchange broke after the release: the post-copy pauses
                }
            }
            int[] resumes = {0};
            if (paused != null) {
                if (resumeTimeout <= 0) {
                    throw paused;
                }
                sender.close();
                PostCopy.Result[] resumed = new PostCopy.Result[1];
                PostCopy d = driver;
                stats = PostcopyResume.send(() -> MultiFdSender.builder(config, connector).registry(registry).build(),
                        List.of(block), d, resumeTimeout, paused, err(), resumes, resumed);
                postCopy = resumed[0];
            }
            if (postCopy != null) {
                json.put("postcopy", postCopy.postcopy())
                        .put("downtime_ms", postCopy.downtime().toNanos() / 1e6)
                        .put("postcopy_requests", postCopy.requests())
                        .put("postcopy_missing_pages", postCopy.missingPages())
                        .put("postcopy_requested_pages", postCopy.requestedPages())
                        .put("dirtied_pages", writers == null ? 0 : writers.pagesWritten())
                        .put("postcopy_resumes", resumes[0]);
            }
            ticker.close();
            progress.close();
            double doneSeconds = (System.nanoTime() - t0) / 1e9;
            String sha = Hashing.sha256(block);
            fill(json, stats, size, ps, rounds, sha);
            if (resumes[0] > 0) {
                // the last session's elapsed time is not the migration's: from the first connect to the end
                json.put("seconds", doneSeconds).put("ram_gib_per_s", size / doneSeconds / (1L << 30));
            }
            if (preCopy != null) {
                json.put("converged", preCopy.converged())
                        .put("downtime_ms", preCopy.downtime().toNanos() / 1e6)
                        .put("dirtied_pages", writers.pagesWritten());
            }
            if (device != null) {
                json.put("device_state_bytes", deviceState).put("device_state_sha256", device.sha256);
            }
            completed(json);
            report(json, stats);
            return MultifdCommand.EXIT_OK;
        } catch (Exception | Error e) {
            sender.close(); // aborts: the receiver is told
            if (ticker != null) {
                ticker.close();
            }
            if (writers != null) {
                writers.stop();
            }
            if (device != null) {
                device.join(TimeUnit.SECONDS.toMillis(10));
            }
            progress.close();
            CommandFailedException shrank = ImageFile.shrank(image, size, e);
            if (common.json()) {
                fill(json, sender.stats(), size, ps, listener.rounds(), null);
                json.put("seconds", (System.nanoTime() - t0) / 1e9);
                out().println(failed(json, shrank != null ? shrank : e));
            }
            if (shrank != null) {
                throw shrank;
            }
            throw e;
        } finally {
            sender.close();
            cancel.close();
        }
    }

    /**
     * The counters every result carries, sender or receiver: {@code round_count} is the RAM
     * rounds, {@code rounds} the engine's sync epochs (the RAM rounds, then the one
     * {@code finish()} ends), {@code channels} the per-channel figures.
     */
    static void fill(Json json, MigrationStats stats, long ramBytes, int pageSize, int rounds, String sha) {
        PayloadStats ram = stats.payload(RamPayload.NAME).orElse(null);
        double secs = stats.elapsed().toNanos() / 1e9;
        json.put("seconds", secs)
                .put("ram_bytes", ramBytes)
                .put("raw_bytes", stats.rawBytes())
                .put("wire_bytes", stats.wireBytes())
                .put("normal_pages", ram == null ? 0 : ram.items())
                .put("zero_pages", ram == null ? 0 : ram.elidedItems())
                .put("round_count", rounds)
                .put("channel_count", stats.channels())
                .put("codec", stats.codec())
                .put("page_size", pageSize)
                .put("ram_gib_per_s", secs > 0 ? ramBytes / secs / (1L << 30) : 0.0)
                .put("wire_gib_per_s", secs > 0 ? stats.wireBytes() / secs / (1L << 30) : 0.0)
                .put("sha256", sha)
                .put("channels", StatsTicker.channels(stats))
                .put("rounds", StatsTicker.rounds(stats));
    }

    private void report(Json json, MigrationStats stats) {
        if (common.json()) {
            out().println(json);
        } else if (!common.quiet()) {
            out().println(summary("send", json));
        }
    }

    /** The human summary of a result: three lines. */
    static String summary(String role, Json j) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%s completed in %.2f s: %s of RAM at %.2f GiB/s, %d round%s%n", role,
                j.getDouble("seconds"), Sizes.human(j.getLong("ram_bytes")), j.getDouble("ram_gib_per_s"),
                j.getLong("round_count"), j.getLong("round_count") == 1 ? "" : "s"));
        sb.append(String.format(Locale.ROOT, "  %d pages (%d zero), %s on the wire over %d channels, codec %s%n",
                j.getLong("normal_pages") + j.getLong("zero_pages"), j.getLong("zero_pages"),
                Sizes.human(j.getLong("wire_bytes")), j.getLong("channel_count"), j.getString("codec")));
        if (j.get("device_state_sha256") != null) {
            sb.append(String.format(Locale.ROOT, "  device state %s, sha256 %s%n", Sizes.human(j.getLong("device_state_bytes")),
                    j.getString("device_state_sha256")));
        }
        sb.append("  sha256 ").append(j.getString("sha256"));
        return sb.toString();
    }

    // ------------------------------------------------------------------ checks shared with other commands

    /** Checks a page size: a power of two from 512 bytes to 2 MiB. */
    static int checkPageSize(long pageSize) {
        if (pageSize < RamBlock.MIN_PAGE_SIZE || pageSize > RamBlock.MAX_PAGE_SIZE || Long.bitCount(pageSize) != 1) {
            throw new UsageException("--page-size must be a power of two from 512 to 2M: " + pageSize);
        }
        return (int) pageSize;
    }

    /** Finds a codec by name, or says which exist. */
    static Codec codec(PluginRegistry registry, String name) {
        return registry.codec(name).orElseThrow(() -> new UsageException("unknown codec '" + name
                + "' (available: " + registry.codecNames() + ")"));
    }

    // ------------------------------------------------------------------ helpers

    /** Shows the rounds on the progress display; polls the sender for bytes done. */
    static final class SendListener implements RoundListener {
        private final Progress progress;
        private final int pageSize;
        private final AtomicLong finishedBytes = new AtomicLong();
        private volatile int rounds;
        volatile MultiFdSender sender;

        SendListener(Progress progress, int pageSize) {
            this.progress = progress;
            this.pageSize = pageSize;
        }

        int rounds() {
            return rounds;
        }

        /** RAM bytes handled so far, zero pages counted at their size; called on the progress thread. */
        private long ramBytes() {
            MultiFdSender s = sender;
            if (s == null) {
                return 0;
            }
            return s.stats().payload(RamPayload.NAME).map(p -> p.rawBytes() + p.elidedItems() * pageSize).orElse(0L);
        }

        @Override
        public void onRoundStarted(int round, long plannedItems, long plannedBytes) {
            rounds = round;
            long base = finishedBytes.get();
            progress.begin("round " + round, plannedBytes, () -> ramBytes() - base);
        }

        @Override
        public void onRoundFinished(RoundStats s) {
            finishedBytes.addAndGet(s.rawBytes() + s.elidedItems() * pageSize);
            double secs = s.elapsed().toNanos() / 1e9;
            progress.end(String.format(Locale.ROOT, "%d pages (%d zero) in %.2f s, %.1f MiB/s%s", s.items(),
                    s.elidedItems(), secs, secs > 0 ? (s.items() * (double) pageSize) / secs / (1 << 20) : 0.0,
                    s.last() ? ", final round" : ", " + s.remaining() + " dirty"));
        }
    }

    /** Saves the device state on a thread of its own, while RAM rounds run, hashing what it sends. */
    static final class DeviceThread extends Thread {
        private final DeviceStateSaver saver;
        private final long size;
        private final long seed;
        private volatile Throwable failure;
        volatile String sha256;

        DeviceThread(DeviceStateSaver saver, long size, long seed) {
            super("multifd-cli-device-state");
            setDaemon(true);
            this.saver = saver;
            this.size = size;
            this.seed = seed;
        }

        @Override
        public void run() {
            try {
                MessageDigest md = Hashing.sha256();
                saver.save(DEVICE_ID, 0, out -> {
                    if (size > 0) {
                        deviceGenerator(size, seed).generate((bytes, length, offset, allZero) -> {
                            md.update(bytes, 0, length);
                            out.write(bytes, 0, length);
                        });
                    }
                });
                sha256 = HexFormat.of().formatHex(md.digest());
            } catch (Throwable t) {
                failure = t;
            }
        }

        /** Waits for the device state to be handed to the channels; rethrows its failure. */
        void await() throws IOException {
            try {
                join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while saving the device state");
            }
            if (failure instanceof IOException io) {
                throw io;
            }
            if (failure != null) {
                throw new IOException("saving the device state failed: " + failure, failure);
            }
        }
    }

    /** The deterministic bytes of a device state: mostly text-like, some random, a few zero pages. */
    static ImageGenerator deviceGenerator(long size, long seed) {
        return new ImageGenerator(size, 4096, seed ^ 0xDE71CE5L, 10, 60, 30);
    }

}
