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

import io.multifd.api.MigrationFailedException;
import io.multifd.api.MigrationListener;
import io.multifd.api.MigrationStats;
import io.multifd.api.SessionId;
import io.multifd.api.MultiFdConfig;
import io.multifd.core.MultiFdReceiver;
import io.multifd.core.PluginRegistry;
import io.multifd.api.spi.TransportListener;
import io.multifd.devicestate.DeviceStatePayload;
import io.multifd.ram.PostcopyAccess;
import io.multifd.ram.RamPayload;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code multifd recv --listen HOST:PORT --out FILE} (or {@code --unix PATH}): receives one
 * migration into a file.
 *
 * <p>Exit status ({@link ExitStatus}): 0 once the migration completed and FILE holds the memory;
 * 2 a wrong command line; 3 no sender connected within {@code --timeout}, or a channel was lost
 * or stalled for {@code --io-timeout}; 4 this receiver refused the sender (a codec outside
 * {@code --allow-codecs}, more channels than {@code --max-channels}, more memory than
 * {@code --max-size}); 5 the sender's bytes were damaged or malformed (a bad hello, a bad CRC, a
 * packet that breaks the protocol); 6 cancelled by SIGINT or SIGTERM; 1 anything else (the port
 * is in use, the sender aborted, the disk is full). Whenever it is not 0, FILE was not written
 * (its {@code FILE.part} is removed). With {@code --json} the object's {@code status} and
 * {@code exit_code} say the same.
 */
@Command(name = "recv", sortOptions = false, mixinStandardHelpOptions = true,
        description = {"Receives one migration (from multifd send) into a file.",
                "",
                "The channel count, codec and memory layout come from the sender's hello and manifest; this "
                        + "side only sets limits. FILE is created with the announced size (sparse; pages written "
                        + "with positional writes, as FILE.part and renamed when the migration completed, removed if it failed). Several "
                        + "blocks are laid out one after the other, each at a multiple of its page size. A device "
                        + "state sent alongside is hashed (device_state_sha256), not stored.",
                "On a terminal a progress bar shows how much of the image arrived; otherwise a line every few "
                        + "seconds. The listening address is printed first, on stderr (useful with port 0).",
                "Before it listens, the process first runs a small migration inside itself so that the JIT has "
                        + "compiled the migration's code (warm_up_seconds in --json; MULTIFD_WARMUP=off skips it, "
                        + "MULTIFD_WARMUP=SIZE sets its size: 24M by default, 128M with TLS).", ""},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:the migration completed and FILE holds the memory; otherwise FILE was not written"})
public final class RecvCommand extends BaseCommand {

    @picocli.CommandLine.Mixin TlsOptions tls; // --tls-cert, --tls-key, --tls-trust, --tls-allow

    @ArgGroup(exclusive = true, multiplicity = "1")
    TransportOptions.Listen listen;

    @Option(names = "--unix-allow-user", paramLabel = "USER", description = "With --unix: accept connections only "
            + "from processes running as USER (repeatable; the peer's user as the kernel reports it). Without it, "
            + "whoever can open the socket file (mode 0600: this user and root) may connect.")
    List<String> unixAllowedUsers = new ArrayList<>();

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Where to write the received memory.")
    Path outFile;

    @Option(names = "--max-channels", paramLabel = "N", defaultValue = "64",
            description = "Refuse senders with more channels (default: ${DEFAULT-VALUE}).")
    int maxChannels;

    @Option(names = "--max-size", paramLabel = "SIZE", defaultValue = "64G", converter = Converters.Size.class,
            description = "Refuse manifests announcing more memory (default: ${DEFAULT-VALUE}).")
    long maxSize;

    @Option(names = "--expect-size", paramLabel = "SIZE", converter = Converters.Size.class,
            description = "Accept only a sender whose memory is exactly SIZE bytes in total, e.g. 4G; another size "
                    + "is refused before anything is written (exit status 4 on both sides). Default: any size up to "
                    + "--max-size.")
    Long expectSize;

    @Option(names = "--preallocate", description = "With --expect-size: create FILE.part with SIZE bytes, write "
            + "it full and map it with every page faulted in before listening (the \"listening\" line comes once it is "
            + "done), so that the migration does not pay for allocating the file (like QEMU's -mem-prealloc). FILE then "
            + "has no holes.")
    boolean preallocate;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "60",
            description = "How long to wait for the sender to connect (default: ${DEFAULT-VALUE}). A transfer that "
                    + "stalls for --io-timeout fails on its own.")
    double timeout;

    @Mixin
    TransportOptions.IoTimeout ioTimeout;

    @Option(names = "--capture", paramLabel = "DIR", description = "Write the bytes each channel receives, as they "
            + "arrive, to DIR/channel-K.bin (decode them with multifd inspect); DIR is created if its parent exists, "
            + "and files of an earlier capture there are replaced.")
    Path captureDir;

    @Option(names = {"--allow-codecs", "--allow-compression"}, paramLabel = "CODEC", split = ",",
            description = "The codecs a sender may use, e.g. none or none,zstd (default: every codec this build "
                    + "has); a sender asking for another is refused (exit status 4 on both sides).")
    List<String> allowCodecs;

    @Option(names = "--fsync", description = "Force the received memory to disk before the sender is told the "
            + "migration completed, and the directory after FILE is renamed into place.")
    boolean fsync;

    @Option(names = "--force", description = "Replace FILE if it exists (without it an existing FILE is refused; "
            + "a symbolic link at FILE or FILE.part is always refused).")
    boolean force;

    @Option(names = "--stats-interval", paramLabel = "SECONDS",
            description = "While the migration runs, print one JSON line of statistics (totals and per channel) "
                    + "every SECONDS on stdout; the result stays the last line.")
    Double statsInterval;

    @Option(names = "--postcopy-readers", paramLabel = "N", defaultValue = "0",
            description = "After a post-copy switch-over (send --postcopy), N threads read random pages of the "
                    + "destination through the post-copy access API, as a running guest would (default 0).")
    int postcopyReaders;

    @Option(names = "--postcopy-read-rate", paramLabel = "PAGES_PER_S", defaultValue = "1000",
            description = "With --postcopy-readers: pages per second the readers read together (default ${DEFAULT-VALUE}).")
    long postcopyReadRate;

    @Option(names = "--resume-timeout", paramLabel = "SECONDS", defaultValue = "0",
            description = "If the link breaks during a post-copy (after the release), keep the pages, listen again "
                    + "on the same address and wait up to SECONDS for the sender to resume (default 0: fail); "
                    + "counted per pause: a resumed session that moved pages and broke again gets SECONDS anew.")
    double resumeTimeout;

    @Option(names = "--no-verify", description = "Do not read FILE back to hash it at the end (faster for large "
            + "images; the result then has no sha256).")
    boolean noVerify;

    /** Made by picocli. */
    public RecvCommand() {
    }

    @Override
    protected int run() throws Exception {
        if (maxChannels < 1 || maxChannels > MultiFdConfig.MAX_CHANNELS) {
            throw new UsageException("--max-channels must be 1 to " + MultiFdConfig.MAX_CHANNELS + ": " + maxChannels);
        }
        if (maxSize < 1) {
            throw new UsageException("--max-size must be at least 1 byte");
        }
        if (expectSize != null && (expectSize < 1 || expectSize > maxSize)) {
            throw new UsageException("--expect-size must be 1 byte to --max-size (" + maxSize + " bytes): " + expectSize);
        }
        if (preallocate && expectSize == null) {
            throw new UsageException("--preallocate needs --expect-size (how much to allocate)");
        }
        if (captureDir != null) { // checked before listening, and never a whole path of new directories
            Path c = captureDir.toAbsolutePath();
            if (Files.exists(c) ? !Files.isDirectory(c) : c.getParent() == null || !Files.isDirectory(c.getParent())) {
                throw new UsageException("--capture '" + captureDir + "' must be a directory, or a new one in an "
                        + "existing directory");
            }
        }
        if (!(timeout > 0) || timeout > 86_400) {
            throw new UsageException("--timeout must be more than 0 and at most 86400 seconds: " + timeout);
        }
        Path target = outFile.toAbsolutePath();
        if (Files.isDirectory(target)) {
            throw new UsageException("--out '" + outFile + "' is a directory");
        }
        if (target.getParent() != null && !Files.isDirectory(target.getParent())) {
            throw new UsageException("--out: directory '" + target.getParent() + "' does not exist");
        }
        if (!(resumeTimeout >= 0) || resumeTimeout > 86_400) {
            throw new UsageException("--resume-timeout must be 0 to 86400 seconds: " + resumeTimeout);
        }
        if (postcopyReaders < 0 || postcopyReaders > 256) {
            throw new UsageException("--postcopy-readers must be 0 to 256: " + postcopyReaders);
        }
        if (postcopyReadRate < 1 || postcopyReadRate > 100_000_000) {
            throw new UsageException("--postcopy-read-rate must be 1 to 100000000 pages per second: " + postcopyReadRate);
        }
        StatsTicker.check(statsInterval);
        listen.check(unixAllowedUsers);
        PluginRegistry discovered = PluginRegistry.discover();
        MultiFdConfig config = ioTimeout.apply(MultiFdConfig.builder())
                .maxChannels(maxChannels)
                .allowedCodecs(allowedCodecs(discovered, allowCodecs))
                .acceptTimeout(Duration.ofMillis((long) (timeout * 1000)))
                .build();
        tls.config(); // incomplete or unreadable TLS files: a usage error before anything listens
        OutputFile output = new OutputFile(target, force, fsync);
        output.prepare(); // FILE.part created exclusively, 0600; a symlink or an existing FILE refused
        if (preallocate) {
            try {
                output.preallocate(expectSize);
            } catch (IOException | RuntimeException e) {
                output.discard();
                throw new IOException("--preallocate: cannot write " + expectSize + " bytes to '" + outFile
                        + ".part': " + e.getMessage(), e);
            }
        }
        // the JIT warmed by a small migration in this process before the sender may connect
        double warmUp = Warmup.runIfEnabled(MultiFdConfig.builder().build(), tls.warmUpConfig(),
                preallocate ? null : target.getParent(), cancellation,
                err(), verbose());
        TransportListener listener;
        try {
            listener = listen.listen(unixAllowedUsers); // "cannot listen on ...: Address already in use"
        } catch (RuntimeException e) {
            output.discard();
            throw e;
        }
        String where = listen.where(listener);
        if (!common.quiet()) {
            err().println("listening on " + where);
        }

        Progress progress = new Progress(Progress.detect(common.quiet()), "recv", err(), 2);
        ReceivedDevices.Devices devices = new ReceivedDevices.Devices();
        Json json = new Json().put("event", "result").put("status", "failed").put("exit_code", ExitStatus.FAILED).put("role", "recv").put("listen", where);
        if (warmUp >= 0) {
            json.put("warm_up_seconds", warmUp);
        }
        MultiFdReceiver receiver = null;
        StatsTicker ticker = null;
        PostcopyAccess postcopy = new PostcopyAccess();
        PostcopyReaders readers = null;
        // Ctrl-C / SIGTERM before a receiver exists: stop listening (the wait for it below ends)
        Cancellation.Registration cancel = cancellation.onCancel(() -> {
            try {
                listener.close();
            } catch (IOException ignored) {
                // it is being closed anyway
            }
        });
        try {
            RamPayload.Builder ramBuilder = RamPayload.builder()
                    .maxTotalBytes(maxSize)
                    .postcopy(postcopy)
                    .destination(output.destination(progress, this::received));
            if (expectSize != null) {
                ramBuilder.expectedTotalBytes(expectSize);
            }
            RamPayload ram = ramBuilder.build(); // every page of every block must arrive (the default)
            DeviceStatePayload deviceState = DeviceStatePayload.builder().loaderFactory(devices::loader).build();
            // the configured instances replace the discovered ones (Builder.payload(...) on top of the
            // default discovery refuses them as a clash in this core version, so the registry is built here)
            PluginRegistry registry = PluginRegistry.builder().discover().add(ram).add(deviceState).build();
            // RAM is what recv is for: a sender without it is refused rather than leaving an empty --out
            MultiFdReceiver r = MultiFdReceiver.builder(config, InspectCommand.capture(tls.listener(listener), captureDir)).registry(registry).require(ram)
                    .listener(new MigrationListener() {
                        @Override
                        public void onConnected(SessionId sessionId, int channels, String codec) {
                            connectedNanos = System.nanoTime();
                        }
                    }).build();
            receiver = r;
            this.receiverRef = r;
            cancel.close();
            // Ctrl-C / SIGTERM: the receiver closes, await() below throws, and the catch removes the
            // partial file, unless the sender may have completed (then it is kept: the only copy?)
            cancel = cancellation.onCancel(r::close);
            r.start();
            if (postcopyReaders > 0) {
                readers = new PostcopyReaders(postcopy, postcopyReaders, postcopyReadRate, 1);
            }
            ticker = new StatsTicker(statsInterval, "recv", r::stats, null, out());
            MigrationStats stats;
            int[] resumes = {0};
            try {
                stats = r.await();
            } catch (IOException e) {
                if (resumeTimeout <= 0 || !postcopy.isPaused()) {
                    throw e;
                }
                r.close(); // its listener too: the next session listens anew on the same address
                stats = PostcopyResume.receive(() -> listen.listenAgain(listener, unixAllowedUsers),
                        (l, nanos) -> resumedReceiver(config, l, nanos, output, postcopy, deviceState).start(),
                        postcopy, resumeTimeout, err(), resumes);
            }
            long doneNanos = System.nanoTime();
            long reads = 0;
            if (readers != null) {
                readers.stop();
                reads = readers.reads();
                if (readers.failure() != null) {
                    throw new IOException("a post-copy reader failed: " + readers.failure(), readers.failure());
                }
            }
            ticker.close();
            progress.end("migration completed");
            progress.close();
            output.commit();
            String sha = noVerify ? null : Hashing.sha256(target);
            SendCommand.fill(json, stats, output.ramBytes, output.pageSize, (int) Math.max(0, stats.syncs() - 1), sha);
            // from the moment every channel was in: the time the receiver waited for a sender is not the transfer's
            long c = connectedNanos;
            if (c != 0) {
                double secs = (doneNanos - c) / 1e9;
                json.put("seconds", secs)
                        .put("ram_gib_per_s", output.ramBytes / secs / (1L << 30))
                        .put("wire_gib_per_s", stats.wireBytes() / secs / (1L << 30));
            }
            json.put("syncs", stats.syncs()).put("file", outFile.toString());
            devices.fill(json);
            if (postcopy.isReleased()) {
                PostcopyReaders.fill(json, postcopy, reads);
                json.put("postcopy_resumes", resumes[0]);
            }
            if (noVerify) {
                json.fields().remove("sha256");
            }
            completed(json);
            if (common.json()) {
                out().println(json);
            } else if (!common.quiet()) {
                out().println(SendCommand.summary("recv", json) + "\n  written to " + outFile);
            }
            return MultifdCommand.EXIT_OK;
        } catch (Exception | Error e) {
            if (receiver != null) {
                receiver.close();
            } else {
                listener.close();
            }
            if (ticker != null) {
                ticker.close();
            }
            if (readers != null) {
                readers.stop();
            }
            Throwable reported = e;
            if (outcomeUnknown(e)) {
                Path kept = output.keep();
                json.put("outcome_unknown", true).put("kept", kept.toString());
                reported = new CommandFailedException(ExitStatus.of(e), MultifdCommand.describe(e) + "; every page "
                        + "arrived, but the sender may have completed (outcome unknown): the image is kept in '" + kept
                        + "'; rename it to '" + outFile + "' if the sender's side reports success");
            } else {
                output.discard();
            }
            progress.close();
            if (common.json()) {
                if (receiver != null) {
                    SendCommand.fill(json, receiver.stats(), output.ramBytes, output.pageSize, 0, null);
                }
                out().println(failed(json, reported));
            }
            if (reported instanceof CommandFailedException c) {
                throw c;
            }
            throw e;
        } finally {
            cancel.close();
        }
    }

    /** True if {@code e} is, or wraps, a failure after which the sender may have completed. */
    private static boolean outcomeUnknown(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof MigrationFailedException m && m.outcomeUnknown()) {
                return true;
            }
        }
        return false;
    }

    /** A receiver for a session that resumes the paused post-copy: the same file, blocks and access. */
    private MultiFdReceiver resumedReceiver(MultiFdConfig config, TransportListener l, long acceptNanos, OutputFile output,
                                            PostcopyAccess access, DeviceStatePayload deviceState) {
        RamPayload ram = RamPayload.builder().maxTotalBytes(maxSize).postcopy(access)
                .destination(output.resumeDestination()).build();
        PluginRegistry registry = PluginRegistry.builder().discover().add(ram).add(deviceState).build();
        return MultiFdReceiver.builder(config.toBuilder().acceptTimeout(Duration.ofNanos(acceptNanos)).build(),
                tls.listener(l)).registry(registry).require(ram).build();
    }

    /**
     * The codec names {@code --allow-codecs} allows: each must be a codec this build has.
     *
     * @return the names; empty (every codec) without the option
     * @throws UsageException naming an unknown codec, or an empty list
     */
    static Set<String> allowedCodecs(PluginRegistry registry, List<String> names) {
        if (names == null) {
            return Set.of();
        }
        Set<String> out = new LinkedHashSet<>();
        for (String n : names) {
            String name = n.strip();
            if (name.isEmpty()) {
                throw new UsageException("--allow-codecs: an empty codec name (e.g. none or none,zstd)");
            }
            try {
                SendCommand.codec(registry, name);
            } catch (UsageException e) {
                throw new UsageException("--allow-codecs: " + e.getMessage());
            }
            out.add(name);
        }
        return out;
    }

    private volatile MultiFdReceiver receiverRef;
    private volatile long connectedNanos;

    /** RAM bytes received so far, zero pages counted at their size; polled by the progress thread. */
    private long received(int pageSize) {
        MultiFdReceiver r = receiverRef;
        return r == null ? 0 : r.stats().payload(RamPayload.NAME)
                .map(p -> p.rawBytes() + p.elidedItems() * pageSize).orElse(0L);
    }

    /** Polls bytes received for a page size. */
    @FunctionalInterface
    interface ReceivedBytes {
        long get(int pageSize);
    }
}
