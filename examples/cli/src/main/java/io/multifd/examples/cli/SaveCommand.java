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

import io.multifd.api.PayloadStats;
import io.multifd.api.SendSession;
import io.multifd.ram.DirtyBitmap;
import io.multifd.ram.PreCopy;
import io.multifd.ram.RamBlock;
import io.multifd.ram.RamPayload;
import io.multifd.ram.RamSaver;
import io.multifd.ram.RoundListener;
import io.multifd.ram.RoundStats;
import io.multifd.ram.snapshot.SnapshotReader;
import io.multifd.ram.snapshot.SnapshotStats;
import io.multifd.ram.snapshot.SnapshotWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code multifd save --image FILE --to SNAPSHOT}: saves an image file, as one RAM block, to a
 * snapshot file with several threads writing pages at their fixed places (zero pages left as
 * holes), optionally while writer threads dirty it (pre-copy rounds rewrite the dirtied pages in
 * place). {@code multifd restore} reads it back. The snapshot is written as {@code SNAPSHOT.part}
 * and renamed to SNAPSHOT once complete ({@link PartFile}), so a save that fails or is cancelled
 * leaves an existing SNAPSHOT as it was.
 *
 * <p>Exit status ({@link ExitStatus}): 0 once the snapshot is complete; 2 a wrong command line
 * (an existing SNAPSHOT without {@code --force}, or SNAPSHOT naming the image, included); 6
 * cancelled by SIGINT or SIGTERM (the partial snapshot is removed); 1 anything else, for
 * instance a full disk.
 */
@Command(name = "save", sortOptions = false, mixinStandardHelpOptions = true,
        description = {"Saves an image file, as one RAM block, to a snapshot file (file mode: every page at a "
                + "fixed place, written by --channels threads at once; zero pages are holes).",
                "",
                "With --dirty-rate, writer threads keep dirtying random pages of a private copy-on-write mapping "
                        + "while pre-copy rounds rewrite them in place; then the writers pause and the final round "
                        + "runs. sha256 in the result covers the memory as it stood at the end, which "
                        + "'multifd restore' must reproduce.", ""},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:the snapshot is complete"})
public final class SaveCommand extends BaseCommand {

    @Option(names = "--image", required = true, paramLabel = "FILE", description = "The image to save (any size).")
    Path image;

    @Option(names = "--to", required = true, paramLabel = "SNAPSHOT", description = "The snapshot file to create.")
    Path to;

    @Option(names = "--channels", paramLabel = "N", defaultValue = "2",
            description = "Threads writing pages at once, 1 to 255 (default: ${DEFAULT-VALUE}).")
    int channels;

    @Option(names = "--page-size", paramLabel = "SIZE", defaultValue = "4K", converter = Converters.Size.class,
            description = "The RAM page size, a power of two from 512 to 2M (default: ${DEFAULT-VALUE}).")
    long pageSize;

    @Option(names = "--dirty-rate", paramLabel = "PAGES_PER_S", defaultValue = "0",
            description = "Pages per second that writer threads dirty while the save runs (default 0: static image).")
    long dirtyRate;

    @Option(names = "--max-rounds", paramLabel = "N", defaultValue = "30",
            description = "With --dirty-rate: the most pre-copy rounds, the final one included (default: ${DEFAULT-VALUE}).")
    int maxRounds;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1",
            description = "Seed of the writers' page choice (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--fsync", description = "Force the snapshot to disk before reporting it complete.")
    boolean fsync;

    @Option(names = "--force", description = "Replace SNAPSHOT if it exists, once the new one is complete (without it "
            + "an existing SNAPSHOT is refused).")
    boolean force;

    @Option(names = "--no-verify", description = "Do not hash the memory at the end (no sha256 in the result; "
            + "faster for large images).")
    boolean noVerify;

    /** Made by picocli. */
    public SaveCommand() {
    }

    @Override
    protected int run() throws Exception {
        if (channels < 1 || channels > SnapshotWriter.MAX_CHANNELS) {
            throw new UsageException("--channels must be 1 to " + SnapshotWriter.MAX_CHANNELS + ": " + channels);
        }
        int ps = SendCommand.checkPageSize(pageSize);
        if (dirtyRate < 0 || dirtyRate > 100_000_000) {
            throw new UsageException("--dirty-rate must be 0 to 100000000 pages per second: " + dirtyRate);
        }
        if (maxRounds < 2) {
            throw new UsageException("--max-rounds must be at least 2: " + maxRounds);
        }
        long size = ImageFile.checkImage(image);
        Path target = to.toAbsolutePath();
        PartFile out = new PartFile("--to", target, force);
        out.refuseInput(image, "--image");
        FileChannel file = out.create();
        RamBlock block = null;
        Json json = new Json().put("event", "result").put("status", "failed").put("exit_code", ExitStatus.FAILED)
                .put("role", "save").put("snapshot", to.toString());
        long t0 = System.nanoTime();
        Progress progress = new Progress(Progress.detect(common.quiet()), "save", err(), 2);
        DirtyWriters writers = null;
        SnapshotWriter writer = null;
        Cancellation.Registration cancel = () -> { };
        boolean done = false;
        try {
            block = ImageFile.load(image, size, ps, dirtyRate > 0);
            SnapshotWriter w = SnapshotWriter.create(file, 0, channels, Duration.ofSeconds(60));
            writer = w;
            cancel = cancellation.onCancel(() -> w.abort(String.valueOf(cancellation.reason())));
            Rounds listener = new Rounds(progress, w.session(), ps);
            RamSaver saver = RamSaver.open(w.session(), List.of(block)).roundListener(listener);
            progress.note("saving " + Sizes.human(size) + " to " + to + " with " + channels + " channel"
                    + (channels == 1 ? "" : "s"));
            int rounds;
            PreCopy.Result preCopy = null;
            if (dirtyRate > 0) {
                DirtyBitmap dirty = new DirtyBitmap(block);
                DirtyWriters dw = new DirtyWriters(block, dirty, dirtyRate, seed);
                writers = dw;
                dw.start();
                preCopy = PreCopy.builder(saver, List.of(dirty)).maxRounds(maxRounds)
                        .pause((converged, pages, estimate) -> dw.stop())
                        .build().run();
                rounds = preCopy.rounds().size();
            } else {
                saver.saveAll();
                rounds = 1;
            }
            SnapshotStats stats = w.finish();
            if (fsync) {
                file.force(true);
            }
            long saved = System.nanoTime();
            double secs = (saved - t0) / 1e9;
            progress.close();
            long dataBytes;
            try (SnapshotReader check = SnapshotReader.open(file, 0)) { // reads back the header and bitmaps
                dataBytes = check.dataBytes();
            }
            String sha = noVerify ? null : Hashing.sha256(block);
            long firstRound = listener.firstRoundNanos();
            json.put("seconds", secs).put("ram_bytes", size).put("sha256", sha)
                    .put("save_seconds", firstRound == 0 ? secs : (saved - firstRound) / 1e9)
                    .put("file_bytes", dataBytes).put("file_apparent_bytes", file.size())
                    .put("normal_pages", stats.pages()).put("zero_pages", stats.zeroPages())
                    .put("round_count", rounds).put("channel_count", channels).put("page_size", ps)
                    .put("ram_gib_per_s", secs > 0 ? size / secs / (1L << 30) : 0.0);
            if (preCopy != null) {
                json.put("converged", preCopy.converged())
                        .put("downtime_ms", preCopy.downtime().toNanos() / 1e6)
                        .put("dirtied_pages", writers.pagesWritten());
            }
            if (noVerify) {
                json.fields().remove("sha256");
            }
            writer.close();
            out.commit(fsync); // SNAPSHOT.part becomes SNAPSHOT only now: a failure above left SNAPSHOT as it was
            completed(json);
            done = true;
            if (common.json()) {
                out().println(json);
            } else if (!common.quiet()) {
                out().println(String.format(Locale.ROOT, "save completed in %.2f s: %s of RAM at %.2f GiB/s, %d round%s%n"
                                + "  %d pages written (%d zero pages left as holes) by %d channels; %s of data in a %s file%n"
                                + "  sha256 %s", secs, Sizes.human(size), json.getDouble("ram_gib_per_s"), rounds,
                        rounds == 1 ? "" : "s", stats.pages(), stats.zeroPages(), channels,
                        Sizes.human(json.getLong("file_bytes")), Sizes.human(json.getLong("file_apparent_bytes")), sha));
            }
            return MultifdCommand.EXIT_OK;
        } catch (Exception | Error e) {
            if (writers != null) {
                writers.stop();
            }
            progress.close();
            CommandFailedException shrank = ImageFile.shrank(image, size, e);
            if (common.json()) {
                json.put("seconds", (System.nanoTime() - t0) / 1e9).put("ram_bytes", size);
                out().println(failed(json, shrank != null ? shrank : e));
            }
            if (shrank != null) {
                throw shrank;
            }
            throw e;
        } finally {
            cancel.close();
            if (writer != null) {
                writer.close();
            }
            if (!done) {
                out.discard(); // only SNAPSHOT.part, which this command created
            }
        }
    }

    /** Shows the rounds on the progress display; polls the session's counters for bytes done. */
    static final class Rounds implements RoundListener {
        private final Progress progress;
        private final SendSession session;
        private final int pageSize;
        private final AtomicLong finished = new AtomicLong();
        private volatile long firstRoundNanos;

        Rounds(Progress progress, SendSession session, int pageSize) {
            this.progress = progress;
            this.session = session;
            this.pageSize = pageSize;
        }

        private long done() {
            return session.stats().payload(RamPayload.NAME)
                    .map((PayloadStats p) -> p.rawBytes() + p.elidedItems() * pageSize).orElse(0L);
        }

        /** When the first round started ({@link System#nanoTime()}), or 0. */
        long firstRoundNanos() {
            return firstRoundNanos;
        }

        @Override
        public void onRoundStarted(int round, long plannedItems, long plannedBytes) {
            if (round == 1) {
                firstRoundNanos = System.nanoTime();
            }
            long base = finished.get();
            progress.begin("round " + round, plannedBytes, () -> done() - base);
        }

        @Override
        public void onRoundFinished(RoundStats s) {
            finished.addAndGet(s.rawBytes() + s.elidedItems() * pageSize);
            double secs = s.elapsed().toNanos() / 1e9;
            progress.end(String.format(Locale.ROOT, "%d pages (%d zero) in %.2f s%s", s.items(), s.elidedItems(), secs,
                    s.last() ? ", final round" : ", " + s.remaining() + " dirty"));
        }
    }
}
