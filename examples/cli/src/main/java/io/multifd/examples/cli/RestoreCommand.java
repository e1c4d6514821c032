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

import io.multifd.ram.snapshot.SnapshotBlock;
import io.multifd.ram.snapshot.SnapshotFormatException;
import io.multifd.ram.snapshot.SnapshotReader;
import io.multifd.ram.snapshot.SnapshotRestore;
import io.multifd.ram.snapshot.SnapshotStats;
import io.multifd.ram.snapshot.SnapshotWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;

/**
 * {@code multifd restore --from SNAPSHOT --out FILE}: writes one RAM block of a snapshot (saved
 * by {@code multifd save}, or by QEMU with {@code migrate file:} and the {@code mapped-ram}
 * capability) to FILE, with several threads reading at once. Zero pages stay holes in FILE.
 *
 * <p>FILE is written as FILE.part, created exclusively with mode 0600 and renamed once complete,
 * exactly as {@code multifd recv} does. Exit status ({@link ExitStatus}): 0 once FILE is complete;
 * 2 a wrong command line (unknown block, existing FILE without {@code --force}); 5 a damaged or
 * malformed snapshot (truncated, bad checksum, overlapping areas, an unfinished save); 6 cancelled
 * by SIGINT or SIGTERM (FILE.part removed); 1 anything else.
 */
@Command(name = "restore", sortOptions = false, mixinStandardHelpOptions = true,
        description = {"Restores one RAM block of a snapshot file to FILE: a snapshot of 'multifd save', or a "
                + "file QEMU saved with 'migrate file:' and the mapped-ram capability (with or without multifd).",
                "",
                "Every header, bitmap and area is checked before a page is read; a damaged one is refused "
                        + "with its reason. The pages themselves carry no checksum (as in QEMU's mapped-ram "
                        + "format): a changed byte inside the page area is not detected; compare the "
                        + "sha256 this command prints with the one 'save' printed.", ""},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:FILE is complete"})
public final class RestoreCommand extends BaseCommand {

    /** The block restored from a QEMU file when {@code --block} is not given: guest RAM. */
    static final String QEMU_RAM_BLOCK = "pc.ram";

    @Option(names = "--from", required = true, paramLabel = "SNAPSHOT", description = "The snapshot file to read.")
    Path from;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Where to write the block.")
    Path outFile;

    @Option(names = "--block", paramLabel = "NAME",
            description = "The block to restore (default: the snapshot's only block; pc.ram for a QEMU file).")
    String block;

    @Option(names = "--channels", paramLabel = "N", defaultValue = "2",
            description = "Threads reading at once, 1 to 255 (default: ${DEFAULT-VALUE}).")
    int channels;

    @Option(names = "--offset", paramLabel = "BYTES", defaultValue = "0", converter = Converters.Size.class,
            description = "Where the snapshot starts in SNAPSHOT (QEMU's file:PATH,offset=N; default 0).")
    long start;

    @Option(names = "--fsync", description = "Force FILE to disk before reporting it complete.")
    boolean fsync;

    @Option(names = "--force", description = "Replace FILE if it exists (without it an existing FILE is refused; "
            + "FILE is never followed if it is a symbolic link).")
    boolean force;

    @Option(names = "--no-verify", description = "Do not read FILE back to hash it at the end.")
    boolean noVerify;

    /** Made by picocli. */
    public RestoreCommand() {
    }

    @Override
    protected int run() throws Exception {
        if (channels < 1 || channels > SnapshotWriter.MAX_CHANNELS) {
            throw new UsageException("--channels must be 1 to " + SnapshotWriter.MAX_CHANNELS + ": " + channels);
        }
        if (!Files.isRegularFile(from)) {
            throw new UsageException("--from '" + from + "' " + (Files.exists(from) ? "is not a regular file" : "does not exist"));
        }
        if (!Files.isReadable(from)) {
            throw new UsageException("--from '" + from + "' is not readable");
        }
        Path target = outFile.toAbsolutePath();
        if (Files.isDirectory(target)) {
            throw new UsageException("--out '" + outFile + "' is a directory");
        }
        if (target.getParent() != null && !Files.isDirectory(target.getParent())) {
            throw new UsageException("--out: directory '" + target.getParent() + "' does not exist");
        }
        Json json = new Json().put("event", "result").put("status", "failed").put("exit_code", ExitStatus.FAILED)
                .put("role", "restore").put("snapshot", from.toString());
        long t0 = System.nanoTime();
        try (SnapshotReader reader = open()) {
            SnapshotBlock chosen = choose(reader);
            json.put("format", reader.format().name().toLowerCase(Locale.ROOT)).put("block", chosen.name());
            // the device-state area is checked (checksum, entries) before any byte is written: a
            // snapshot damaged there is refused like one damaged anywhere else
            List<SnapshotReader.DeviceState> devices = reader.deviceStates();
            json.put("device_states", devices.size())
                    .put("device_state_bytes", devices.stream().mapToLong(d -> d.data().remaining()).sum());
            OutputFile output = new OutputFile(target, force, fsync);
            output.refuseInput(from, "--from");
            output.prepare(); // FILE.part created exclusively, 0600; a symlink or an existing FILE refused
            Progress progress = new Progress(Progress.detect(common.quiet()), "restore", err(), 2);
            SnapshotRestore restore = SnapshotRestore.builder(reader).blocks(List.of(chosen.name())).channels(channels)
                    .build();
            Cancellation.Registration cancel = cancellation.onCancel(restore::cancel);
            try {
                SnapshotStats stats;
                // FILE.part as prepare() created it (exclusively, 0600); pages go in with positional writes
                Path part = target.resolveSibling(target.getFileName() + ".part");
                try (FileChannel partFile = FileChannel.open(part, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                    progress.begin("restoring " + MultifdCommand.printable(chosen.name()), chosen.length(),
                            restore::restoredBytes);
                    stats = restore.runToFile(partFile, 0);
                }
                double secs = (System.nanoTime() - t0) / 1e9;
                progress.end(String.format(Locale.ROOT, "%d pages read, %d zero pages left as holes", stats.pages(),
                        stats.zeroPages()));
                progress.close();
                output.commit();
                String sha = noVerify ? null : Hashing.sha256(target);
                json.put("seconds", secs).put("ram_bytes", stats.ramBytes()).put("sha256", sha)
                        .put("file_bytes", stats.bytes()).put("file_apparent_bytes", Files.size(target))
                        .put("normal_pages", stats.pages()).put("zero_pages", stats.zeroPages())
                        .put("channel_count", channels).put("page_size", chosen.pageSize())
                        .put("ram_gib_per_s", secs > 0 ? stats.ramBytes() / secs / (1L << 30) : 0.0)
                        .put("file", outFile.toString());
                if (noVerify) {
                    json.fields().remove("sha256");
                }
                completed(json);
                if (common.json()) {
                    out().println(json);
                } else if (!common.quiet()) {
                    out().println(String.format(Locale.ROOT, "restore completed in %.2f s: %s of block '%s' at %.2f GiB/s "
                                    + "with %d channels%n  %d pages read, %d zero pages%n  sha256 %s%n  written to %s",
                            secs, Sizes.human(stats.ramBytes()), MultifdCommand.printable(chosen.name()),
                            json.getDouble("ram_gib_per_s"), channels,
                            stats.pages(), stats.zeroPages(), sha, outFile));
                }
                return MultifdCommand.EXIT_OK;
            } catch (Exception | Error e) {
                output.discard();
                progress.close();
                throw e;
            } finally {
                cancel.close();
            }
        } catch (Exception | Error e) {
            Throwable reported = e instanceof Exception x ? damaged(x) : e;
            if (common.json()) {
                json.put("seconds", (System.nanoTime() - t0) / 1e9);
                out().println(failed(json, reported));
            }
            if (reported instanceof Error err) {
                throw err;
            }
            throw (Exception) reported;
        }
    }

    private SnapshotReader open() throws IOException {
        return SnapshotReader.open(from, start);
    }

    /** The block to restore: {@code --block}, else the only block, else QEMU's guest RAM. */
    private SnapshotBlock choose(SnapshotReader reader) {
        List<String> names = reader.blocks().stream().map(SnapshotBlock::name).toList();
        if (block != null) {
            return reader.block(block).orElseThrow(() -> new UsageException("--block '" + block
                    + "': the snapshot has no such block (its blocks: " + names + ")"));
        }
        if (reader.format() == SnapshotReader.Format.QEMU_MAPPED_RAM) {
            return reader.block(QEMU_RAM_BLOCK).orElseThrow(() -> new UsageException("the QEMU file has no block '"
                    + QEMU_RAM_BLOCK + "': name one with --block (its blocks: " + names + ")"));
        }
        if (reader.blocks().size() == 1) {
            return reader.blocks().get(0);
        }
        throw new UsageException("the snapshot has " + names.size() + " blocks: name one with --block (" + names + ")");
    }

    /** A damaged or malformed snapshot exits with {@link ExitStatus#DAMAGED}, naming the file and the reason. */
    private Exception damaged(Exception e) {
        if (e instanceof SnapshotFormatException f && !cancellation.cancelled()) {
            return new CommandFailedException(ExitStatus.DAMAGED, "--from '" + from + "': " + f.getMessage());
        }
        return e;
    }
}
