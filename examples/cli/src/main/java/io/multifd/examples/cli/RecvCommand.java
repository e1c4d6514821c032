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

import io.multifd.api.MigrationListener;
import io.multifd.api.MigrationStats;
import io.multifd.api.SessionId;
import io.multifd.api.MultiFdConfig;
import io.multifd.core.MultiFdReceiver;
import io.multifd.core.PluginRegistry;
import io.multifd.api.spi.TransportListener;
import io.multifd.devicestate.DeviceStatePayload;
import io.multifd.ram.RamBlock;
import io.multifd.ram.RamBlockInfo;
import io.multifd.ram.RamDestination;
import io.multifd.ram.RamPayload;
import io.multifd.ram.RamSetupRecord;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
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
                        + "seconds. The listening address is printed first, on stderr (useful with port 0).", ""},
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

    @Option(names = "--preallocate", description = "With --expect-size: create FILE.part with SIZE bytes and write "
            + "it full before listening (the \"listening\" line comes once it is done), so that the migration does not "
            + "pay for allocating the file (like QEMU's -mem-prealloc). FILE then has no holes.")
    boolean preallocate;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "60",
            description = "How long to wait for the sender to connect (default: ${DEFAULT-VALUE}). A transfer that "
                    + "stalls for --io-timeout fails on its own.")
    double timeout;

    @Mixin
    TransportOptions.IoTimeout ioTimeout;

    @Option(names = "--capture", paramLabel = "DIR", description = "Write the bytes each channel receives, as they "
            + "arrive, to DIR/channel-K.bin (decode them with multifd inspect).")
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
        MultiFdReceiver receiver = null;
        StatsTicker ticker = null;
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
            // Ctrl-C / SIGTERM: the receiver closes (await() below throws) and the partial file goes
            cancel = cancellation.onCancel(() -> {
                r.close();
                output.discard();
            });
            r.start();
            ticker = new StatsTicker(statsInterval, "recv", r::stats, null, out());
            MigrationStats stats = r.await();
            long doneNanos = System.nanoTime();
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
            output.discard();
            progress.close();
            if (common.json()) {
                if (receiver != null) {
                    SendCommand.fill(json, receiver.stats(), output.ramBytes, output.pageSize, 0, null);
                }
                out().println(failed(json, e));
            }
            throw e;
        } finally {
            cancel.close();
        }
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

    /**
     * The output file, written as {@code FILE.part} and renamed to FILE once the migration
     * completed. {@link #prepare} (main thread, before listening) refuses a FILE or FILE.part that
     * is a symbolic link, and an existing FILE unless {@code --force}; it creates FILE.part
     * exclusively ({@code O_CREAT|O_EXCL}, never through a symbolic link), mode 0600, in FILE's
     * directory. {@link #open} runs on the receiver's manifest thread and maps one block per
     * announced block; {@link #forceData} on the receiver's coordinating thread before COMPLETED
     * is sent; {@link #commit} and {@link #discard} on the main thread (or the shutdown hook)
     * after the receiver ended.
     */
    static final class OutputFile {
        private final Path target;
        private final Path part;
        private final boolean force;
        private final boolean fsync;
        private FileChannel file;
        /** Where the next block starts in FILE.part (before a page-size alignment). */
        private long next;
        private final List<RamBlock> blocks = new ArrayList<>();
        private final Map<RamBlock, Long> positions = new IdentityHashMap<>();
        volatile long ramBytes;
        volatile int pageSize = RamBlock.DEFAULT_PAGE_SIZE;
        private boolean committed;

        OutputFile(Path target, boolean force, boolean fsync) {
            this.target = target.toAbsolutePath();
            this.part = this.target.resolveSibling(this.target.getFileName() + ".part");
            this.force = force;
            this.fsync = fsync;
        }

        /**
         * Checks FILE and creates FILE.part, empty, exclusively and with mode 0600.
         *
         * @throws UsageException if FILE or FILE.part is a symbolic link, FILE exists without
         *                        {@code --force}, or FILE.part exists (a leftover: removed first
         *                        with {@code --force})
         * @throws IOException    if FILE.part cannot be created
         */
        synchronized void prepare() throws IOException {
            if (Files.isSymbolicLink(target)) {
                throw new UsageException("--out '" + target + "' is a symbolic link: refused (name the file itself)");
            }
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                if (!Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
                    throw new UsageException("--out '" + target + "' exists and is not a regular file: refused");
                }
                if (!force) {
                    throw new UsageException("--out '" + target + "' exists: refused (add --force to replace it)");
                }
            }
            if (Files.isSymbolicLink(part)) {
                throw new UsageException("'" + part + "' is a symbolic link: refused (remove it first)");
            }
            if (Files.exists(part, LinkOption.NOFOLLOW_LINKS)) {
                if (!force || !Files.isRegularFile(part, LinkOption.NOFOLLOW_LINKS)) {
                    throw new UsageException("'" + part + "' exists (a receiver writing it, or a leftover): refused "
                            + "(remove it, or add --force)");
                }
                Files.delete(part);
            }
            Set<OpenOption> options = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                    StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
            try {
                if (part.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                    file = FileChannel.open(part, options,
                            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                } else {
                    file = FileChannel.open(part, options);
                }
            } catch (FileAlreadyExistsException e) {
                throw new UsageException("'" + part + "' appeared while it was being created: refused");
            }
        }

        /**
         * The RAM destination: blocks mapped from FILE.part (new, so all-zero and sparse), whose
         * pages the channel threads write with positional writes ({@link #writeTarget}). Known-zero: zero pages that arrive for pages not written yet are skipped without
         * touching the file, so its holes stay holes. With {@code --fsync} its
         * {@link RamDestination#finished()} forces the data before the sender is told COMPLETED.
         */
        RamDestination destination(Progress progress, ReceivedBytes received) {
            RamDestination blocks = RamDestination.creatingZeroed(this::create);
            return new RamDestination() {
                @Override
                public List<RamBlock> open(RamSetupRecord announced) throws io.multifd.api.SetupRefusedException {
                    ramBytes = announced.totalBytes();
                    if (!announced.blocks().isEmpty()) {
                        pageSize = announced.blocks().get(0).pageSize();
                    }
                    List<RamBlock> out = blocks.open(announced);
                    int ps = pageSize;
                    progress.begin("receiving", ramBytes, () -> received.get(ps));
                    return out;
                }

                @Override
                public boolean blocksStartZeroed() {
                    return blocks.blocksStartZeroed();
                }

                @Override
                public WriteTarget writeTarget(RamBlock block) {
                    return OutputFile.this.writeTarget(block);
                }

                @Override
                public void finished() throws IOException {
                    if (fsync) {
                        forceData();
                    }
                }
            };
        }

        private synchronized RamBlock create(RamBlockInfo info) throws IOException {
            if (file == null) {
                throw new IOException("'" + part + "' is closed");
            }
            long position = (next + info.pageSize() - 1) / info.pageSize() * info.pageSize();
            long end = position + info.length();
            if (end > file.size()) {
                // one zero byte at the end extends the file as a hole (FileChannel.map would allocate it)
                file.write(ByteBuffer.allocate(1), end - 1);
            }
            next = end;
            RamBlock b = RamBlock.map(info.name(), file, position, info.length(), info.pageSize(),
                    FileChannel.MapMode.READ_WRITE);
            blocks.add(b);
            positions.put(b, position);
            return b;
        }

        /**
         * Pages are written to FILE.part with positional writes, not through the mapping: about
         * half the CPU for a new file (no page fault, no clearing of each new page; measured in
         * docs/performance.md). The mapping stays the block's readable view of the same pages.
         */
        private synchronized RamDestination.WriteTarget writeTarget(RamBlock block) {
            Long position = positions.get(block);
            return position == null || file == null ? null : new RamDestination.WriteTarget(file, position);
        }

        /**
         * Writes FILE.part full of zeros up to {@code size} bytes with positional writes, so that
         * its pages are allocated (in the page cache and on the file system) before the sender
         * connects: the channel threads' writes then only copy into pages that exist. Main
         * thread, after {@link #prepare}, before listening. A faster way to allocate than touching
         * a mapping (measured in docs/performance.md).
         *
         * @param size the bytes to write, the size {@code --expect-size} announces
         * @throws IOException if the file cannot be written (the disk is full)
         */
        synchronized void preallocate(long size) throws IOException {
            ByteBuffer zeros = ByteBuffer.allocateDirect(1 << 20);
            for (long pos = 0; pos < size; ) {
                zeros.clear().limit((int) Math.min(zeros.capacity(), size - pos));
                while (zeros.hasRemaining()) {
                    pos += file.write(zeros, pos);
                }
            }
        }

        /** Forces every mapped block and the file's data and metadata to the device. */
        synchronized void forceData() throws IOException {
            try {
                blocks.forEach(RamBlock::force);
            } catch (java.io.UncheckedIOException e) {
                throw new IOException("cannot force '" + part + "' to disk: " + e.getCause().getMessage(), e.getCause());
            }
            if (file != null) {
                file.force(true);
            }
        }

        /**
         * Completes the file: renames FILE.part to FILE (replacing FILE only with {@code --force})
         * and, with {@code --fsync}, forces the data (already done before COMPLETED when RAM was
         * received) and then the directory, so that the rename is durable.
         */
        synchronized void commit() throws IOException {
            if (fsync) {
                forceData();
            }
            if (file != null) {
                file.close();
            }
            if (force) {
                try {
                    Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(part, target, StandardCopyOption.REPLACE_EXISTING);
                }
            } else {
                publishWithoutReplacing();
            }
            committed = true;
            if (fsync) {
                forceDirectory(target.getParent());
            }
        }

        /** A hard link fails if FILE exists (appeared meanwhile), unlike a rename, which replaces it. */
        private void publishWithoutReplacing() throws IOException {
            try {
                Files.createLink(target, part);
            } catch (FileAlreadyExistsException e) {
                throw new IOException("--out '" + target + "' appeared during the migration: not replaced (the "
                        + "received memory stays in '" + part + "')", e);
            } catch (UnsupportedOperationException | IOException e) {
                // no hard links on this file system: a plain move, which also refuses an existing target
                Files.move(part, target);
                return;
            }
            Files.delete(part);
        }

        private static void forceDirectory(Path dir) throws IOException {
            if (dir == null || !dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                return; // directories cannot be opened for forcing on every platform
            }
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            }
        }

        /** Removes the partial file of a failed migration. Any thread; idempotent. */
        synchronized void discard() {
            if (committed) {
                return;
            }
            try {
                if (file != null) {
                    file.close();
                    file = null;
                    Files.deleteIfExists(part); // only the file this receiver created
                }
            } catch (IOException ignored) {
                // best effort: the migration already failed, and that is what gets reported
            }
        }
    }
}
