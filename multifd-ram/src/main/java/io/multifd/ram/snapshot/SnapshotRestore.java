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
package io.multifd.ram.snapshot;

import io.multifd.api.SetupRefusedException;
import io.multifd.ram.RamBlock;
import io.multifd.ram.RamBlockInfo;
import io.multifd.ram.RamDestination;
import io.multifd.ram.RamPayload;
import io.multifd.ram.RamSetupRecord;
import io.multifd.ram.internal.RamAccess;
import io.multifd.ram.internal.ZeroPages;
import io.multifd.ram.snapshot.SnapshotFormatException.Reason;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Restores RAM blocks from a snapshot (or a QEMU mapped-ram file) with several threads reading at
 * once: each block is cut into chunks of up to {@value #CHUNK_BYTES} bytes, the threads take
 * chunks in turn, and each reads the chunk's present pages, run by run, with positional reads
 * straight into the destination block's memory. Pages not in the file are zero pages: they are
 * left alone when the destination starts zeroed ({@link RamDestination#blocksStartZeroed()}, so a
 * sparse output file stays sparse), and zeroed otherwise.
 *
 * <pre>{@code
 * try (SnapshotReader snapshot = SnapshotReader.open(path)) {
 *     List<RamBlock> blocks = new ArrayList<>();
 *     SnapshotStats stats = SnapshotRestore.builder(snapshot).channels(4).build()
 *             .run(RamDestination.allocating(blocks));
 * }
 * }</pre>
 *
 * <p>Threads: {@link #run} blocks its caller until every chunk was read; {@link #restoredBytes()}
 * and {@link #cancel()} may be called from any thread meanwhile. One restore runs once.
 */
public final class SnapshotRestore {

    /** The largest positional read. */
    public static final int CHUNK_BYTES = 32 << 20;
    /** The buffer of each thread of {@link #runToFile}. */
    private static final int FILE_BUFFER_BYTES = 8 << 20;

    private static final RamAccess ACCESS = RamAccess.get();

    private final SnapshotReader reader;
    private final List<SnapshotBlock> selected;
    private final int channels;
    private final DeviceStateHandler devices;
    private final AtomicLong restored = new AtomicLong();
    private final AtomicLong pages = new AtomicLong();
    private final AtomicLong zeroPages = new AtomicLong();
    private final AtomicLong bytesRead = new AtomicLong();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean cancelled;
    private boolean ran;

    private SnapshotRestore(Builder b) {
        this.reader = b.reader;
        this.selected = b.selected;
        this.channels = b.channels;
        this.devices = b.devices;
    }

    /**
     * Receives the device states of a snapshot after its RAM was restored, for instance to hand
     * each to a device-state loader:
     * {@code (name, instance, state) -> { var l = factory.create(name, instance); l.load(state); l.complete(); }}.
     */
    @FunctionalInterface
    public interface DeviceStateHandler {
        /**
         * Loads one device's state. Called once per device, on a restore thread; several devices
         * load at once (up to the restore's channel count), each device from one thread.
         *
         * @param name     the device's name
         * @param instance its instance number
         * @param state    its state, read-only, owned by the handler
         * @throws Exception to fail the restore, naming the device
         */
        void load(String name, int instance, ByteBuffer state) throws Exception;
    }

    /**
     * Starts a restore of a snapshot.
     *
     * @param reader the opened snapshot; the caller keeps owning it and closes it after {@link #run}
     * @return a builder (every block, one channel, by default)
     */
    public static Builder builder(SnapshotReader reader) {
        return new Builder(Objects.requireNonNull(reader, "reader"));
    }

    /** The blocks this restore reads, in file order. */
    public List<SnapshotBlock> blocks() {
        return selected;
    }

    /** The sum of the selected blocks' lengths. */
    public long ramBytes() {
        long n = 0;
        for (SnapshotBlock b : selected) {
            n += b.length();
        }
        return n;
    }

    /** The bytes of the blocks restored so far (present and zero pages); any thread. */
    public long restoredBytes() {
        return restored.get();
    }

    /** Makes {@link #run} stop after the chunks being read and throw; any thread. */
    public void cancel() {
        cancelled = true;
    }

    /**
     * Resolves the destination blocks and reads every selected block into them, on
     * {@code channels} threads; returns when all are done.
     *
     * @param destination where the blocks go: asked once for one block per selected block (with
     *                    its name, length and page size), told {@link RamDestination#finished()}
     *                    after the last page was read
     * @return what the restore did
     * @throws SnapshotFormatException with {@link Reason#BLOCK_MISMATCH} if the destination refuses a
     *                                 block or returns one of another name, length or page size;
     *                                 {@link Reason#TRUNCATED} if the file ends inside a page area
     * @throws InterruptedIOException  if cancelled, or the calling thread was interrupted
     * @throws IOException             if the file cannot be read or the destination not finished
     * @throws IllegalStateException   if this restore ran already
     */
    public SnapshotStats run(RamDestination destination) throws IOException {
        synchronized (this) {
            if (ran) {
                throw new IllegalStateException("this restore ran already");
            }
            ran = true;
        }
        long t0 = System.nanoTime();
        List<RamBlock> targets = resolve(destination);
        List<long[]> tasks = new ArrayList<>(); // {block index, first page, end page}
        for (int i = 0; i < selected.size(); i++) {
            SnapshotBlock b = selected.get(i);
            long chunkPages = Math.max(1, Math.min(CHUNK_BYTES, targets.get(i).segmentSize()) / b.pageSize());
            for (long p = 0; p < b.pageCount(); p += chunkPages) {
                tasks.add(new long[]{i, p, Math.min(b.pageCount(), p + chunkPages)});
            }
        }
        boolean zeroed = destination.blocksStartZeroed();
        AtomicInteger next = new AtomicInteger();
        Thread[] threads = new Thread[Math.max(1, Math.min(channels, tasks.size()))];
        for (int t = 0; t < threads.length; t++) {
            threads[t] = new Thread(() -> {
                ZeroPages.Scanner scanner = new ZeroPages.Scanner();
                int k;
                while (failure.get() == null && !cancelled && (k = next.getAndIncrement()) < tasks.size()) {
                    long[] task = tasks.get(k);
                    try {
                        readChunk(selected.get((int) task[0]), targets.get((int) task[0]), task[1], task[2], zeroed, scanner);
                    } catch (IOException | RuntimeException e) {
                        failure.compareAndSet(null, e);
                    }
                }
            }, "multifd-snapshot-read-" + t);
            threads[t].setDaemon(true);
            threads[t].start();
        }
        join(threads);
        if (devices != null) {
            loadDevices(reader.deviceStates());
        }
        destination.finished();
        return new SnapshotStats(ramBytes(), pages.get(), zeroPages.get(), bytesRead.get(), reader.endOffset(),
                Duration.ofNanos(System.nanoTime() - t0));
    }

    /**
     * Reads the one selected block into a file instead of memory: each thread reads a run of
     * present pages into a buffer of its own and writes it at {@code outOffset + offset} with a
     * positional write (no page faults on a mapping, which is what makes this faster than a
     * mapped destination for large blocks). Zero pages are not written: the file's range must
     * read as zeros already (a new or truncated file), and stays sparse there. The file is
     * extended to {@code outOffset + length} if it is shorter.
     *
     * @param out       a channel open for writing; the caller keeps owning it
     * @param outOffset where the block's first byte goes in the file
     * @return what the restore did
     * @throws SnapshotFormatException with {@link Reason#TRUNCATED} if the snapshot ends inside a page area
     * @throws InterruptedIOException  if cancelled, or the calling thread was interrupted
     * @throws IOException             if a read or write failed
     * @throws IllegalStateException   if not exactly one block is selected, or this restore ran already
     */
    public SnapshotStats runToFile(FileChannel out, long outOffset) throws IOException {
        Objects.requireNonNull(out, "out");
        if (selected.size() != 1) {
            throw new IllegalStateException("a restore into a file takes exactly one block; " + selected.size()
                    + " are selected (use Builder.blocks)");
        }
        if (outOffset < 0) {
            throw new IllegalArgumentException("negative output offset " + outOffset);
        }
        synchronized (this) {
            if (ran) {
                throw new IllegalStateException("this restore ran already");
            }
            ran = true;
        }
        long t0 = System.nanoTime();
        SnapshotBlock b = selected.get(0);
        long chunkPages = Math.max(1, CHUNK_BYTES / b.pageSize());
        AtomicLong nextPage = new AtomicLong();
        Thread[] threads = new Thread[(int) Math.max(1, Math.min(channels, (b.pageCount() + chunkPages - 1) / chunkPages))];
        for (int t = 0; t < threads.length; t++) {
            threads[t] = new Thread(() -> {
                ByteBuffer buf = ByteBuffer.allocateDirect((int) Math.min(FILE_BUFFER_BYTES,
                        Math.max(b.pageSize(), Math.min(b.length(), chunkPages * b.pageSize()))));
                long p;
                while (failure.get() == null && !cancelled && (p = nextPage.getAndAdd(chunkPages)) < b.pageCount()) {
                    try {
                        copyChunk(b, out, outOffset, p, Math.min(b.pageCount(), p + chunkPages), buf);
                    } catch (IOException | RuntimeException e) {
                        failure.compareAndSet(null, e);
                    }
                }
            }, "multifd-snapshot-read-" + t);
            threads[t].setDaemon(true);
            threads[t].start();
        }
        join(threads);
        long end = outOffset + b.length();
        if (out.size() < end) {
            out.write(ByteBuffer.allocate(1), end - 1); // never written (a zero page): a hole up to there
        }
        if (devices != null) {
            loadDevices(reader.deviceStates());
        }
        return new SnapshotStats(b.length(), pages.get(), zeroPages.get(), bytesRead.get(), reader.endOffset(),
                Duration.ofNanos(System.nanoTime() - t0));
    }

    /** Copies the present runs of pages [first, end) through {@code buf}, in pieces of at most its capacity. */
    private void copyChunk(SnapshotBlock b, FileChannel out, long outOffset, long first, long end, ByteBuffer buf)
            throws IOException {
        long[] bitmap = reader.bitmap(b);
        int ps = b.pageSize();
        FileChannel in = reader.channel();
        long p = first;
        while (p < end && !cancelled) {
            boolean present = bit(bitmap, p);
            long q = p + 1;
            while (q < end && bit(bitmap, q) == present) {
                q++;
            }
            long off = p * ps;
            long len = Math.min(q * ps, b.length()) - off;
            if (present) {
                for (long done = 0; done < len; ) {
                    int n = (int) Math.min(buf.capacity(), len - done);
                    buf.clear().limit(n);
                    long at = b.pagesOffset() + off + done;
                    while (buf.hasRemaining()) {
                        int r = in.read(buf, at);
                        if (r < 0) {
                            throw new SnapshotFormatException(Reason.TRUNCATED, "block '" + b.name()
                                    + "': the file ends at " + at + ", inside the page area");
                        }
                        at += r;
                    }
                    buf.flip();
                    long to = outOffset + off + done;
                    while (buf.hasRemaining()) {
                        to += out.write(buf, to);
                    }
                    done += n;
                }
                pages.addAndGet(q - p);
                bytesRead.addAndGet(len);
            } else {
                zeroPages.addAndGet(q - p);
            }
            restored.addAndGet(len);
            p = q;
        }
    }

    /** Hands each device state to the handler, up to {@code channels} devices at once. */
    private void loadDevices(List<SnapshotReader.DeviceState> states) throws IOException {
        AtomicInteger next = new AtomicInteger();
        Thread[] threads = new Thread[Math.max(1, Math.min(channels, states.size()))];
        for (int t = 0; t < threads.length; t++) {
            threads[t] = new Thread(() -> {
                int k;
                while (failure.get() == null && !cancelled && (k = next.getAndIncrement()) < states.size()) {
                    SnapshotReader.DeviceState d = states.get(k);
                    try {
                        devices.load(d.name(), d.instance(), d.data());
                    } catch (Exception e) {
                        failure.compareAndSet(null, new IOException("loading the state of device '" + d.name()
                                + "' instance " + d.instance() + " failed: " + e, e));
                    }
                }
            }, "multifd-snapshot-load-" + t);
            threads[t].setDaemon(true);
            threads[t].start();
        }
        join(threads);
    }

    private void join(Thread[] threads) throws IOException {
        try {
            for (Thread t : threads) {
                t.join();
            }
        } catch (InterruptedException e) {
            cancelled = true;
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while restoring the snapshot");
        }
        Throwable f = failure.get();
        if (f instanceof IOException io) {
            throw io;
        } else if (f instanceof RuntimeException re) {
            throw re;
        } else if (f != null) {
            throw new IOException(f);
        }
        if (cancelled) {
            throw new InterruptedIOException("the restore was cancelled");
        }
    }

    private List<RamBlock> resolve(RamDestination destination) throws SnapshotFormatException {
        List<RamBlockInfo> infos = new ArrayList<>();
        for (SnapshotBlock b : selected) {
            infos.add(new RamBlockInfo(b.name(), b.length(), b.pageSize()));
        }
        List<RamBlock> targets;
        try {
            targets = destination.open(new RamSetupRecord(RamPayload.DEFAULT_BATCH_BYTES, infos));
        } catch (SetupRefusedException e) {
            throw new SnapshotFormatException(Reason.BLOCK_MISMATCH, "the destination refused the snapshot's blocks: "
                    + e.getMessage());
        }
        if (targets == null || targets.size() != infos.size()) {
            throw new SnapshotFormatException(Reason.BLOCK_MISMATCH, "the destination returned "
                    + (targets == null ? "nothing" : targets.size() + " blocks") + " for " + infos.size());
        }
        for (int i = 0; i < infos.size(); i++) {
            RamBlock t = targets.get(i);
            RamBlockInfo want = infos.get(i);
            if (t == null || !want.matches(t) || t.isReadOnly()) {
                throw new SnapshotFormatException(Reason.BLOCK_MISMATCH, "snapshot block " + want
                        + " does not match the destination's " + t + (t != null && t.isReadOnly() ? " (read-only)" : ""));
            }
        }
        return targets;
    }

    /** Reads pages [first, end) of a block: present runs with one positional read each. */
    private void readChunk(SnapshotBlock b, RamBlock target, long first, long end, boolean zeroed,
                           ZeroPages.Scanner scanner) throws IOException {
        long[] bitmap = reader.bitmap(b);
        int ps = b.pageSize();
        FileChannel ch = reader.channel();
        ByteBuffer view = ACCESS.segments(target)[ACCESS.segmentIndex(target, first * ps)].duplicate();
        long p = first;
        while (p < end && !cancelled) {
            boolean present = bit(bitmap, p);
            long q = p + 1;
            while (q < end && bit(bitmap, q) == present) {
                q++;
            }
            long off = p * ps;
            long len = Math.min(q * ps, b.length()) - off;
            int pos = ACCESS.segmentOffset(target, off);
            if (present) {
                view.limit(pos + (int) len).position(pos);
                long at = b.pagesOffset() + off;
                while (view.hasRemaining()) {
                    int r = ch.read(view, at);
                    if (r < 0) {
                        throw new SnapshotFormatException(Reason.TRUNCATED, "block '" + b.name() + "': the file ends at "
                                + at + ", inside the page area");
                    }
                    at += r;
                }
                pages.addAndGet(q - p);
                bytesRead.addAndGet(len);
            } else {
                zeroPages.addAndGet(q - p);
                if (!zeroed) {
                    for (long z = off; z < off + len; z += ps) {
                        int n = (int) Math.min(ps, b.length() - z);
                        int zp = ACCESS.segmentOffset(target, z);
                        if (!scanner.isZero(view, zp, n)) {
                            scanner.zero(view, zp, n);
                        }
                    }
                }
            }
            restored.addAndGet(len);
            p = q;
        }
    }

    private static boolean bit(long[] bitmap, long page) {
        return (bitmap[(int) (page >>> 6)] & (1L << (page & 63))) != 0;
    }

    /** Chooses the blocks and the number of threads. Not thread-safe. */
    public static final class Builder {
        private final SnapshotReader reader;
        private List<SnapshotBlock> selected;
        private int channels = 1;
        private DeviceStateHandler devices;

        private Builder(SnapshotReader reader) {
            this.reader = reader;
            this.selected = reader.blocks();
        }

        /**
         * Restores only the named blocks (by default every block of the snapshot).
         *
         * @param names block names, each in the snapshot
         * @return this builder
         * @throws SnapshotFormatException with {@link Reason#BLOCK_MISMATCH} naming a block the snapshot does not have
         */
        public Builder blocks(List<String> names) throws SnapshotFormatException {
            List<SnapshotBlock> out = new ArrayList<>();
            for (SnapshotBlock b : reader.blocks()) {
                if (names.contains(b.name())) {
                    out.add(b);
                }
            }
            for (String n : names) {
                if (reader.block(n).isEmpty()) {
                    throw new SnapshotFormatException(Reason.BLOCK_MISMATCH, "the snapshot has no block '" + n
                            + "' (its blocks: " + reader.blocks().stream().map(SnapshotBlock::name).toList() + ")");
                }
            }
            this.selected = List.copyOf(out);
            return this;
        }

        /**
         * Sets the number of threads reading at once.
         *
         * @param channels 1 to {@value SnapshotWriter#MAX_CHANNELS}
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder channels(int channels) {
            if (channels < 1 || channels > SnapshotWriter.MAX_CHANNELS) {
                throw new IllegalArgumentException("channels must be 1 to " + SnapshotWriter.MAX_CHANNELS + ": " + channels);
            }
            this.channels = channels;
            return this;
        }

        /**
         * Hands the snapshot's device states to {@code handler} after the RAM was restored and
         * before the destination is told {@link RamDestination#finished()} (by default they are
         * not read; {@link SnapshotReader#deviceStates()} reads them too).
         *
         * @param handler loads each device's state
         * @return this builder
         */
        public Builder deviceStates(DeviceStateHandler handler) {
            this.devices = Objects.requireNonNull(handler, "handler");
            return this;
        }

        /**
         * Makes the restore.
         *
         * @return the restore, ready to {@link SnapshotRestore#run run} once
         */
        public SnapshotRestore build() {
            return new SnapshotRestore(this);
        }
    }
}
