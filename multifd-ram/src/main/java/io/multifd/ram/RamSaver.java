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
package io.multifd.ram;

import io.multifd.api.MigrationStats;
import io.multifd.api.PayloadStats;
import io.multifd.api.SendData;
import io.multifd.api.SendSession;
import io.multifd.api.SetupRefusedException;
import io.multifd.ram.internal.RamRoundEvent;

import java.io.IOException;
import java.time.Duration;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The RAM client: queues pages into a slot of its own and hands full slots to the session's
 * channels. It works against {@link SendSession} only.
 *
 * <h2>Its own slot</h2>
 * As in QEMU since the "client-owned slot" change, the saver owns one {@link SendData} slot
 * (made with {@link SendSession#newSlot()} on first use). {@link #queuePage(RamBlock, long)} adds
 * a page to it; when the slot is full, or the next page is in another block, the slot goes to
 * {@link SendSession#send(SendData)}, which swaps it for an idle channel's empty slot. So the
 * core never knows about RAM, and device state or other payloads travel beside it.
 *
 * <h2>Rounds</h2>
 * {@link #saveAll()} queues every page of every block; {@link #saveDirty(Collection)} queues the
 * pages marked in dirty bitmaps and clears their bits. Each round ends with {@link #sync()}: the
 * slot is flushed and {@link SendSession#sync()} returns once every channel wrote everything and
 * a SYNC marker, so a page sent again in the next round (maybe on another channel) is applied
 * after this round's copy. Each round reports to the saver's {@link RoundListener}
 * ({@code onRoundStarted}, {@code onRoundProgress} every 64 MiB, {@code onRoundFinished}) and
 * returns its {@link RoundStats}. {@link PreCopy} drives rounds until they converge.
 *
 * <h2>Life cycle and threads</h2>
 * {@link #open(SendSession, List)} declares the RAM setup record, so it must be called
 * <b>before</b> the owner connects the session; pages are queued after the session connected.
 * The saver is confined to one thread (the product's migration thread). It never writes the
 * blocks' memory; the product may keep writing it (marking dirty pages) while rounds run.
 * Finishing the session ({@code sender.finish()}) is the owner's job, after the last round.
 */
public final class RamSaver {

    private static final long PROGRESS_BYTES = 64L << 20;
    private static final System.Logger LOG = System.getLogger(RamSaver.class.getName());

    private final SendSession session;
    private final RamPayload payload;
    private final List<RamBlock> blocks;
    private final Set<RamBlock> blockSet;
    private SendData slot;
    private int round;
    private RoundListener listener = RoundListener.NONE;
    /** The return-path handler if opened for post-copy, else null. */
    private PostcopyRequests postcopyRequests;
    /** Opened to resume a paused post-copy. */
    private boolean resumes;

    // counters of the round in progress
    private long queuedPages;
    private long queuedBytes;
    private long nextProgress;
    private int roundNo;

    private RamSaver(SendSession session, RamPayload payload, List<RamBlock> blocks) {
        this.session = session;
        this.payload = payload;
        this.blocks = blocks;
        Set<RamBlock> set = Collections.newSetFromMap(new IdentityHashMap<>());
        set.addAll(blocks);
        this.blockSet = set;
    }

    /**
     * Makes the saver of a session and declares the RAM setup record (block names, lengths, page
     * sizes, the batch size) for the session manifest. Call it before the session connects.
     *
     * @param session the session, not yet connected, with the RAM payload registered (the
     *                default instance is found by ServiceLoader)
     * @param blocks  the blocks to migrate, distinct names; the product keeps owning their memory
     * @return the saver, confined to the calling thread from now on
     * @throws IllegalStateException    if no {@link RamPayload} is registered, or the session
     *                                  already connected or RAM was declared already
     * @throws IllegalArgumentException if the blocks are empty or two share a name, or a block's
     *                                  packets would exceed the configured packet or header caps
     */
    public static RamSaver open(SendSession session, List<RamBlock> blocks) {
        return open(session, blocks, false);
    }

    /**
     * Makes the saver of a session that may switch to post-copy ({@link PostCopy}): as
     * {@link #open(SendSession, List)}, and the setup record announces post-copy and the saver
     * registers the RAM return-path handler (page requests), so the session asks the receiver for
     * a return path. Call it before the session connects.
     *
     * @param session the session, not yet connected, that supports a return path
     * @param blocks  the blocks to migrate
     * @return the saver
     * @throws UnsupportedOperationException if the session has no return path (a file session)
     * @throws IllegalStateException         as {@link #open(SendSession, List)}
     * @throws IllegalArgumentException      as {@link #open(SendSession, List)}
     */
    public static RamSaver openForPostcopy(SendSession session, List<RamBlock> blocks) {
        return open(session, blocks, true, false);
    }

    /**
     * Makes the saver of a session that resumes a paused post-copy ({@link PostCopy#resume}):
     * as {@link #openForPostcopy}, with the setup record's resume flag, so that the receiver
     * attaches it to its paused post-copy. Call it before the session connects, with the blocks
     * of the paused migration.
     *
     * @param session the new session, not yet connected
     * @param blocks  the blocks of the paused migration, in the same order
     * @return the saver
     */
    public static RamSaver openForPostcopyResume(SendSession session, List<RamBlock> blocks) {
        return open(session, blocks, true, true);
    }

    private static RamSaver open(SendSession session, List<RamBlock> blocks, boolean postcopy) {
        return open(session, blocks, postcopy, false);
    }

    private static RamSaver open(SendSession session, List<RamBlock> blocks, boolean postcopy, boolean resume) {
        Objects.requireNonNull(session, "session");
        RamPayload payload = session.payload(RamPayload.class).orElseThrow(() -> new IllegalStateException(
                "no RamPayload is registered with this session (is multifd-ram on the class path?)"));
        List<RamBlock> list = List.copyOf(Objects.requireNonNull(blocks, "blocks"));
        Set<String> names = new HashSet<>();
        for (RamBlock b : list) {
            if (!names.add(b.name())) {
                throw new IllegalArgumentException("two blocks are named '" + b.name() + "'");
            }
            try {
                String reason = RamPayload.checkLimits(session.config(), payload.batchBytes(), b.pageSize(), b.name(), false);
                if (reason != null) {
                    throw new IllegalArgumentException(reason);
                }
            } catch (SetupRefusedException e) {
                throw new IllegalStateException(e); // not thrown for the sender
            }
        }
        RamSetupRecord record = RamSetupRecord.of(payload.batchBytes(), list);
        RamSaver saver = new RamSaver(session, payload, list);
        if (postcopy) {
            record = resume ? record.withResume() : record.withPostcopy();
            saver.resumes = resume;
            saver.postcopyRequests = new PostcopyRequests(list, session);
            session.onReturn(payload, saver.postcopyRequests);
        }
        session.declare(payload, record.encode());
        return saver;
    }

    /**
     * Makes the saver of a session; see {@link #open(SendSession, List)}.
     *
     * @param session the session, not yet connected
     * @param blocks  the blocks to migrate
     * @return the saver
     */
    public static RamSaver open(SendSession session, RamBlock... blocks) {
        return open(session, List.of(blocks));
    }

    /** True if opened with {@link #openForPostcopyResume}. */
    boolean resumes() {
        return resumes;
    }

    /** The post-copy request handler, or null if not opened for post-copy. */
    PostcopyRequests postcopyRequests() {
        return postcopyRequests;
    }

    /** The blocks this saver migrates, in the declared order. */
    public List<RamBlock> blocks() {
        return blocks;
    }

    /** The registered RAM payload instance the saver fills slots with. */
    public RamPayload payload() {
        return payload;
    }

    /** The session. */
    public SendSession session() {
        return session;
    }

    /**
     * Sets the listener that follows this saver's rounds (by default {@link RoundListener#NONE}).
     * Call it on the saver's thread, between rounds.
     *
     * @param listener the listener; its exceptions are logged and ignored
     * @return this saver
     */
    public RamSaver roundListener(RoundListener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
        return this;
    }

    /** The listener that follows this saver's rounds. */
    public RoundListener roundListener() {
        return listener;
    }

    /** The number of rounds run so far. */
    public int rounds() {
        return round;
    }

    /**
     * Queues one page; hands the slot to a channel when it is full or holds another block's
     * pages. Within one round queue each page at most once.
     *
     * @param block  one of this saver's blocks
     * @param offset a page-aligned offset within the block
     * @throws IOException               from {@link SendSession#send(SendData)}: the migration failed,
     *                                   no channel became idle in time, or the thread was interrupted
     * @throws IllegalArgumentException  if the block is not one of this saver's
     * @throws IndexOutOfBoundsException if the offset is not a page of the block
     */
    public void queuePage(RamBlock block, long offset) throws IOException {
        if (!blockSet.contains(block)) {
            throw new IllegalArgumentException("block " + block + " was not declared by this saver");
        }
        int len = block.pageLength(offset);
        queue(block, offset, len);
    }

    private void queue(RamBlock block, long offset, int len) throws IOException {
        if (slot == null) {
            slot = session.newSlot();
        }
        RamBody body = slot.fill(payload);
        if (!body.accepts(block)) {
            flush();
            body = slot.fill(payload);
        }
        body.add(block, offset);
        queuedPages++;
        queuedBytes += len;
        if (body.isFull()) {
            flush();
        }
        if (queuedBytes >= nextProgress && roundNo > 0) {
            nextProgress = queuedBytes + PROGRESS_BYTES;
            try {
                listener.onRoundProgress(roundNo, queuedPages, queuedBytes);
            } catch (RuntimeException e) {
                listenerFailed("onRoundProgress", e);
            }
        }
    }

    /**
     * Hands the slot to a channel if it holds pages. Does not sync.
     *
     * @throws IOException from {@link SendSession#send(SendData)}
     */
    public void flush() throws IOException {
        if (slot != null && !slot.isEmpty()) {
            slot = session.send(slot);
        }
    }

    /**
     * Ends a sync epoch: flushes the slot, then {@link SendSession#sync()}.
     *
     * @return the epoch that ended
     * @throws IOException from the session
     */
    public long sync() throws IOException {
        flush();
        return session.sync();
    }

    /**
     * Round: sends every page of every block, then syncs. Tracks nothing.
     *
     * @return the round's statistics ({@code remaining} is 0)
     * @throws IOException from the session
     */
    public RoundStats saveAll() throws IOException {
        return saveAll(List.of());
    }

    /**
     * Round: clears {@code tracking} (so that only pages written from now on count as dirty),
     * sends every page of every block, then syncs. This is round 1 of a pre-copy.
     *
     * @param tracking dirty bitmaps of this saver's blocks that the writers mark
     * @return the round's statistics; {@code remaining} is the tracked dirty pages at its end
     * @throws IOException from the session
     */
    public RoundStats saveAll(Collection<DirtyBitmap> tracking) throws IOException {
        checkBitmaps(tracking);
        long planned = 0;
        long plannedBytes = 0;
        for (RamBlock b : blocks) {
            planned += b.pageCount();
            plannedBytes += b.length();
        }
        Round r = begin(planned, plannedBytes);
        for (DirtyBitmap d : tracking) {
            d.clear();
        }
        for (RamBlock b : blocks) {
            long pages = b.pageCount();
            int shift = b.pageShift();
            for (long p = 0; p < pages; p++) {
                long off = p << shift;
                queue(b, off, (int) Math.min(b.pageSize(), b.length() - off));
            }
        }
        return end(r, tracking, false);
    }

    /**
     * Round: sends the pages marked in the bitmaps, clearing their bits, then syncs.
     *
     * @param bitmaps dirty bitmaps of this saver's blocks
     * @return the round's statistics; {@code remaining} is the dirty pages at its end
     * @throws IOException from the session
     */
    public RoundStats saveDirty(Collection<DirtyBitmap> bitmaps) throws IOException {
        return dirtyRound(bitmaps, false);
    }

    /**
     * Round: {@link #saveDirty(Collection)} for one or more bitmaps.
     *
     * @param bitmaps dirty bitmaps of this saver's blocks
     * @return the round's statistics
     * @throws IOException from the session
     */
    public RoundStats saveDirty(DirtyBitmap... bitmaps) throws IOException {
        return dirtyRound(List.of(bitmaps), false);
    }

    /**
     * The final round, with the writers paused: as {@link #saveDirty(Collection)}, reported with
     * {@link RoundStats#last()} set. Afterwards the owner calls {@code sender.finish()}.
     *
     * @param bitmaps dirty bitmaps of this saver's blocks
     * @return the round's statistics
     * @throws IOException from the session
     */
    public RoundStats saveFinal(Collection<DirtyBitmap> bitmaps) throws IOException {
        return dirtyRound(bitmaps, true);
    }

    private RoundStats dirtyRound(Collection<DirtyBitmap> bitmaps, boolean last) throws IOException {
        checkBitmaps(bitmaps);
        long planned = 0;
        long plannedBytes = 0;
        for (DirtyBitmap d : bitmaps) {
            long c = d.count();
            planned += c;
            plannedBytes += c * d.block().pageSize();
        }
        Round r = begin(planned, plannedBytes);
        for (DirtyBitmap d : bitmaps) {
            RamBlock b = d.block();
            int shift = b.pageShift();
            int words = d.wordCount();
            for (int w = 0; w < words; w++) {
                long bits = d.getAndClearWord(w);
                while (bits != 0) {
                    long page = ((long) w << 6) + Long.numberOfTrailingZeros(bits);
                    bits &= bits - 1;
                    long off = page << shift;
                    queue(b, off, (int) Math.min(b.pageSize(), b.length() - off));
                }
            }
        }
        return end(r, bitmaps, last);
    }

    private void checkBitmaps(Collection<DirtyBitmap> bitmaps) {
        Map<RamBlock, Boolean> seen = new IdentityHashMap<>();
        for (DirtyBitmap d : bitmaps) {
            if (!blockSet.contains(d.block())) {
                throw new IllegalArgumentException("bitmap of block " + d.block() + ", which this saver did not declare");
            }
            if (seen.put(d.block(), Boolean.TRUE) != null) {
                throw new IllegalArgumentException("two bitmaps of block '" + d.block().name() + "'");
            }
        }
    }

    private record Round(int number, long startNanos, long elided0, long raw0, long wire0, RamRoundEvent event) {
    }

    private Round begin(long plannedPages, long plannedBytes) {
        roundNo = ++round;
        queuedPages = 0;
        queuedBytes = 0;
        nextProgress = PROGRESS_BYTES;
        MigrationStats s = session.stats();
        Optional<PayloadStats> p = s.payload(RamPayload.NAME);
        RamRoundEvent event = new RamRoundEvent();
        event.begin();
        Round r = new Round(roundNo, System.nanoTime(), p.map(PayloadStats::elidedItems).orElse(0L),
                p.map(PayloadStats::rawBytes).orElse(0L), s.wireBytes(), event);
        try {
            listener.onRoundStarted(roundNo, plannedPages, plannedBytes);
        } catch (RuntimeException e) {
            listenerFailed("onRoundStarted", e);
        }
        return r;
    }

    private RoundStats end(Round r, Collection<DirtyBitmap> tracking, boolean last) throws IOException {
        try {
            sync();
        } finally {
            roundNo = 0;
        }
        long elapsed = System.nanoTime() - r.startNanos();
        MigrationStats s = session.stats();
        Optional<PayloadStats> p = s.payload(RamPayload.NAME);
        long elided = p.map(PayloadStats::elidedItems).orElse(0L) - r.elided0();
        long raw = p.map(PayloadStats::rawBytes).orElse(0L) - r.raw0();
        long remaining = 0;
        for (DirtyBitmap d : tracking) {
            remaining += d.count();
        }
        RoundStats stats = new RoundStats(r.number(), queuedPages, elided, raw, s.wireBytes() - r.wire0(),
                Duration.ofNanos(elapsed), remaining, last);
        RamRoundEvent event = r.event();
        event.end();
        if (event.shouldCommit()) {
            event.session = String.valueOf(session.sessionId());
            event.round = stats.round();
            event.pages = stats.items();
            event.zeroPages = stats.elidedItems();
            event.rawBytes = stats.rawBytes();
            event.wireBytes = stats.wireBytes();
            event.remaining = stats.remaining();
            event.last = stats.last();
            event.commit();
        }
        try {
            listener.onRoundFinished(stats);
        } catch (RuntimeException e) {
            listenerFailed("onRoundFinished", e);
        }
        return stats;
    }

    private static void listenerFailed(String event, RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "round listener threw from " + event + "; ignored", e);
    }
}
