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

import io.multifd.api.MigrationFailedException;
import io.multifd.api.MigrationListener;
import io.multifd.api.MigrationStats;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.PayloadStats;
import io.multifd.api.SendData;
import io.multifd.api.SendSession;
import io.multifd.api.SessionId;
import io.multifd.api.SetupRefusedException;
import io.multifd.api.spi.PayloadPlugin;
import io.multifd.ram.RamBlock;
import io.multifd.ram.RamBody;
import io.multifd.ram.RamPayload;
import io.multifd.ram.RamSetupRecord;
import io.multifd.ram.internal.RamAccess;
import io.multifd.ram.internal.ZeroPages;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The {@link SendSession} a {@link SnapshotWriter} hands to {@link io.multifd.ram.RamSaver}: the
 * same rounds, slots and syncs as a socket migration, but each "channel" is a thread that writes
 * its slot's pages with positional writes to their fixed places in the file, and marks them in
 * the block's bitmap. A zero page is not written; its bit is cleared, so a page that became zero
 * after an earlier round reads back as zero. A page saved again overwrites its own place, so
 * rounds need no ordering beyond the sync that ends each one.
 *
 * <p>Threads: the client's methods ({@link #send}, {@link #sync}) are called by one client
 * thread (the saver's); the channel threads are this class's own. Slots move through two queues:
 * filled ones to the channels, emptied ones back to the client.
 */
final class FileSendSession implements SendSession {

    private static final RamAccess ACCESS = RamAccess.get();
    private static final Object STOP = new Object();

    /** One block's place in the file and its bitmap of present pages (guarded by the object's lock). */
    static final class BlockState {
        final SnapshotBlock place;
        final long[] bitmap;

        BlockState(SnapshotBlock place) {
            this.place = place;
            this.bitmap = new long[Math.toIntExact(place.bitmapLength() / 8)];
        }
    }

    /** Work for a channel thread other than a slot: a write of some bytes at an offset. */
    record Write(ByteBuffer data, long position) {
    }

    private final FileChannel file;
    private final long start;
    private final MultiFdConfig config;
    private final RamPayload ram;
    private final SessionId id = SessionId.random();
    private final BlockingQueue<Object> work = new LinkedBlockingQueue<>();
    private final BlockingQueue<SendData> empty;
    private final Thread[] threads;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition idle = lock.newCondition();
    private final long startNanos = System.nanoTime();
    private final AtomicLong packets = new AtomicLong();
    private final AtomicLong normalPages = new AtomicLong();
    private final AtomicLong zeroPages = new AtomicLong();
    private final AtomicLong normalBytes = new AtomicLong();
    private final AtomicLong writtenBytes = new AtomicLong();
    private int pending; // guarded by lock
    private long epoch;
    private volatile Throwable failure;
    private volatile boolean closed;
    private volatile List<SnapshotBlock> layout;
    private volatile Map<String, BlockState> blocks;

    FileSendSession(FileChannel file, long start, int channels, Duration ioTimeout, RamPayload ram) {
        this.file = file;
        this.start = start;
        this.config = MultiFdConfig.builder().channels(channels).ioTimeout(ioTimeout).build();
        this.ram = ram;
        this.empty = new ArrayBlockingQueue<>(channels);
        this.threads = new Thread[channels];
        for (int i = 0; i < channels; i++) {
            empty.add(new SendData());
            int n = i;
            threads[i] = new Thread(() -> run(n), "multifd-snapshot-write-" + n);
            threads[i].setDaemon(true);
        }
    }

    @Override
    public MultiFdConfig config() {
        return config;
    }

    @Override
    public SessionId sessionId() {
        return id;
    }

    @Override
    public <P extends PayloadPlugin<?>> Optional<P> payload(Class<P> type) {
        return type.isInstance(ram) ? Optional.of(type.cast(ram)) : Optional.empty();
    }

    /** Lays the blocks out, truncates the file to the start offset, writes their records and starts the channels. */
    @Override
    public synchronized void declare(PayloadPlugin<?> plugin, ByteBuffer setupRecord) {
        if (plugin != ram) {
            throw new IllegalArgumentException("a snapshot holds RAM only; '" + plugin.name() + "' is not its RAM payload");
        }
        if (layout != null) {
            throw new IllegalStateException("RAM was declared already");
        }
        RamSetupRecord record;
        try {
            record = RamSetupRecord.decode(setupRecord.duplicate(), Long.MAX_VALUE);
        } catch (SetupRefusedException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        List<SnapshotBlock> places = SnapshotFormat.layout(start, record.blocks());
        Map<String, BlockState> map = new HashMap<>();
        try {
            file.truncate(start);
            for (SnapshotBlock b : places) {
                map.put(b.name(), new BlockState(b));
                writeFully(SnapshotFormat.encodeRecord(b), b.recordOffset());
            }
            if (!places.isEmpty()) {
                // the file gets its final length of page areas now, as a hole: the channels' page
                // writes then land inside the file and never extend it, so the file system does not
                // update (and journal) its size on every write; finish() needs no extension then
                writeFully(ByteBuffer.allocate(1), places.get(places.size() - 1).pagesEnd() - 1);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot lay out the snapshot: " + e.getMessage(), e);
        }
        blocks = map;
        layout = List.copyOf(places);
        for (Thread t : threads) {
            t.start();
        }
    }

    @Override
    public SendData newSlot() {
        return new SendData();
    }

    @Override
    public SendData send(SendData filled) throws IOException {
        Objects.requireNonNull(filled, "filled");
        if (filled.isEmpty()) {
            throw new IllegalArgumentException("empty slot");
        }
        if (filled.plugin() != ram) {
            throw new IllegalArgumentException("a snapshot holds RAM only, not '" + filled.plugin().name() + "'");
        }
        checkUsable();
        SendData e;
        try {
            e = empty.poll(config.ioTimeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for a snapshot channel");
        }
        if (e == null || failure != null) {
            checkUsable();
            throw new IOException("no snapshot channel became idle within " + config.ioTimeout());
        }
        submit(filled);
        return e;
    }

    /** Hands one piece of work (a slot or a {@link Write}) to the channels. */
    void submit(Object item) {
        lock.lock();
        try {
            pending++;
        } finally {
            lock.unlock();
        }
        work.add(item);
    }

    @Override
    public long sync() throws IOException {
        checkUsable();
        awaitIdle();
        return epoch++;
    }

    /** Waits until the channels wrote everything handed to them, or one failed. */
    void awaitIdle() throws IOException {
        lock.lock();
        try {
            while (pending > 0 && failure == null) {
                idle.await();
            }
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the snapshot channels");
        } finally {
            lock.unlock();
        }
        if (failure != null) {
            throw new MigrationFailedException("snapshot save failed", failure);
        }
    }

    private void checkUsable() throws IOException {
        if (failure != null) {
            throw new MigrationFailedException("snapshot save failed", failure);
        }
        if (layout == null) {
            throw new IllegalStateException("no RAM declared yet (RamSaver.open declares it)");
        }
        if (closed) {
            throw new IllegalStateException("the snapshot writer is closed or finished");
        }
    }

    @Override
    public MigrationListener listener() {
        return new MigrationListener() {
        };
    }

    @Override
    public MigrationStats stats() {
        PayloadStats p = new PayloadStats(RamPayload.ID, RamPayload.NAME, packets.get(), normalBytes.get(),
                writtenBytes.get(), normalPages.get(), zeroPages.get());
        return new MigrationStats(id, threads.length, SnapshotFormat.CODEC, Duration.ofNanos(System.nanoTime() - startNanos),
                packets.get(), normalBytes.get(), writtenBytes.get(), epoch, List.of(), List.of(p));
    }

    List<SnapshotBlock> layout() {
        return layout;
    }

    Map<String, BlockState> blockStates() {
        return blocks;
    }

    long[] counters() {
        return new long[]{normalPages.get(), zeroPages.get(), writtenBytes.get()};
    }

    /** Stops the channel threads (after the work queued so far) and waits for them, at most the I/O timeout each. */
    void stop() {
        closed = true;
        for (int i = 0; i < threads.length; i++) {
            work.add(STOP);
        }
        if (layout == null) {
            return;
        }
        for (Thread t : threads) {
            try {
                t.join(config.ioTimeout().toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    // ---------------------------------------------------------------- channel threads

    private void run(int channel) {
        ZeroPages.Scanner scanner = new ZeroPages.Scanner();
        while (true) {
            Object item;
            try {
                item = work.take();
            } catch (InterruptedException e) {
                fail(new InterruptedIOException("snapshot channel " + channel + " interrupted"));
                return;
            }
            if (item == STOP) {
                return;
            }
            try {
                if (failure == null) {
                    if (item instanceof SendData slot) {
                        writePages(slot.body(ram), scanner);
                    } else if (item instanceof Write w) {
                        writeFully(w.data().duplicate(), w.position());
                    }
                }
            } catch (IOException | RuntimeException e) {
                fail(e);
            } finally {
                if (item instanceof SendData slot) {
                    slot.clear();
                    empty.add(slot);
                }
                lock.lock();
                try {
                    pending--;
                    idle.signalAll();
                } finally {
                    lock.unlock();
                }
            }
        }
    }

    /** Fails the save from any thread: a client waiting in {@link #send} or {@link #sync} throws at once. */
    void abort(Throwable why) {
        fail(why);
        empty.offer(new SendData()); // wakes a send() waiting for a channel; it sees the failure
    }

    private void fail(Throwable t) {
        lock.lock();
        try {
            if (failure == null) {
                failure = t;
            }
            idle.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Writes a body's non-zero pages, contiguous runs in one positional write each, and updates
     * the bitmap: the bits are gathered per 64-page word while the pages are checked, and applied
     * under the block's lock once per word run (two channels may share a word, never a page).
     */
    private void writePages(RamBody body, ZeroPages.Scanner scanner) throws IOException {
        RamBlock block = body.block();
        BlockState st = blocks.get(block.name());
        if (st == null || st.place.length() != block.length() || st.place.pageSize() != block.pageSize()) {
            throw new IllegalArgumentException("block " + block + " was not declared to this snapshot");
        }
        ByteBuffer[] segments = ACCESS.segments(block);
        ByteBuffer[] views = new ByteBuffer[segments.length];
        int shift = ACCESS.pageShift(block);
        int n = body.count();
        long[] offsets = ACCESS.offsets(body);
        long runStart = -1;
        long runEnd = -1;
        int runSegment = -1;
        int word = -1;
        long set = 0;
        long clear = 0;
        long normal = 0;
        long normalLen = 0;
        for (int i = 0; i < n; i++) {
            long off = offsets[i];
            int len = (int) Math.min(block.pageSize(), block.length() - off);
            int seg = ACCESS.segmentIndex(block, off);
            int pos = ACCESS.segmentOffset(block, off);
            long page = off >>> shift;
            if ((int) (page >>> 6) != word) {
                applyBits(st, word, set, clear);
                word = (int) (page >>> 6);
                set = 0;
                clear = 0;
            }
            if (views[seg] == null) {
                views[seg] = segments[seg].duplicate();
            }
            if (scanner.isZero(views[seg], pos, len)) {
                clear |= 1L << (page & 63);
                continue;
            }
            set |= 1L << (page & 63);
            normal++;
            normalLen += len;
            if (runStart >= 0 && off == runEnd && seg == runSegment) {
                runEnd = off + len;
                continue;
            }
            if (runStart >= 0) {
                writeRun(block, segments[runSegment], st.place, runStart, runEnd);
            }
            runStart = off;
            runEnd = off + len;
            runSegment = seg;
        }
        applyBits(st, word, set, clear);
        if (runStart >= 0) {
            writeRun(block, segments[runSegment], st.place, runStart, runEnd);
        }
        packets.incrementAndGet();
        normalPages.addAndGet(normal);
        normalBytes.addAndGet(normalLen);
        zeroPages.addAndGet(n - normal);
    }

    private static void applyBits(BlockState st, int word, long set, long clear) {
        if (word >= 0 && (set | clear) != 0) {
            synchronized (st) {
                st.bitmap[word] = (st.bitmap[word] | set) & ~clear;
            }
        }
    }

    private void writeRun(RamBlock block, ByteBuffer segment, SnapshotBlock place, long from, long to) throws IOException {
        int pos = ACCESS.segmentOffset(block, from);
        ByteBuffer view = segment.duplicate();
        view.limit(pos + (int) (to - from)).position(pos);
        writeFully(view, place.pagesOffset() + from);
    }

    void writeFully(ByteBuffer data, long position) throws IOException {
        long p = position;
        while (data.hasRemaining()) {
            int w = file.write(data, p);
            p += w;
            writtenBytes.addAndGet(w);
        }
    }
}
