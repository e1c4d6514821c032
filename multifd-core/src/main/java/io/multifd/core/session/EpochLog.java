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
package io.multifd.core.session;

import io.multifd.api.EpochStats;
import io.multifd.api.MigrationStats;
import io.multifd.api.SessionId;
import io.multifd.core.channel.SyncCounters;
import io.multifd.core.jfr.RoundEvent;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;

/**
 * One side's record of its sync epochs (the engine's rounds): turns the channels' counters noted
 * at each SYNC into {@link EpochStats}, keeps the last {@link MigrationStats#MAX_EPOCHS}, logs one
 * INFO line per epoch and records one {@link RoundEvent} per epoch. Thread-safe (synchronized);
 * called once per sync, never on the per-packet path.
 */
public final class EpochLog {

    private final String side;
    private final System.Logger log;
    private final ArrayDeque<EpochStats> kept = new ArrayDeque<>();
    private SessionId session;
    private long startNanos;
    private long lastEndNanos;
    private long lastPackets;
    private long lastRaw;
    private long lastWire;
    private RoundEvent event;

    /**
     * @param side "sender" or "receiver"
     * @param log  where the per-epoch line goes (INFO)
     */
    public EpochLog(String side, System.Logger log) {
        this.side = side;
        this.log = log;
    }

    /**
     * The first epoch starts now.
     *
     * @param sessionId the session
     */
    public synchronized void start(SessionId sessionId) {
        this.session = sessionId;
        this.startNanos = System.nanoTime();
        this.lastEndNanos = startNanos;
        beginEvent();
    }

    private void beginEvent() {
        RoundEvent e = new RoundEvent();
        e.begin();
        event = e;
    }

    /**
     * Ends an epoch: every channel has written (sender) or read (receiver) its SYNC of
     * {@code epoch} and the sums are of the counters each noted right then.
     *
     * @param epoch   the epoch that ended
     * @param packets data packets over all channels at the epoch's SYNC
     * @param raw     raw bytes over all channels at the epoch's SYNC
     * @param wire    wire bytes over all channels at the epoch's SYNC
     * @return the epoch's figures
     */
    public synchronized EpochStats end(long epoch, long packets, long raw, long wire) {
        long now = System.nanoTime();
        if (startNanos == 0) { // not started (a test driving the barrier alone): count from here
            startNanos = now;
            lastEndNanos = now;
        }
        EpochStats s = new EpochStats(epoch, packets - lastPackets, raw - lastRaw, wire - lastWire,
                Duration.ofNanos(Math.max(0, now - lastEndNanos)));
        lastPackets = packets;
        lastRaw = raw;
        lastWire = wire;
        lastEndNanos = now;
        if (kept.size() == MigrationStats.MAX_EPOCHS) {
            kept.removeFirst();
        }
        kept.addLast(s);
        RoundEvent e = event;
        if (e != null) {
            e.end();
            if (e.shouldCommit()) {
                e.side = side;
                e.session = String.valueOf(session);
                e.epoch = epoch;
                e.packets = s.packets();
                e.rawBytes = s.rawBytes();
                e.wireBytes = s.wireBytes();
                e.commit();
            }
        }
        beginEvent();
        if (log.isLoggable(System.Logger.Level.INFO)) {
            log.log(System.Logger.Level.INFO, "migration " + session + " " + side + ": epoch " + epoch + " ended: "
                    + s.packets() + " packets, " + Durations.bytes(s.rawBytes()) + " raw, "
                    + Durations.bytes(s.wireBytes()) + " on the wire in " + Durations.format(s.elapsed()));
        }
        return s;
    }

    /**
     * Ends an epoch with the sums of the counters every channel noted at its SYNC of
     * {@code epoch}; see {@link #end(long, long, long, long)}.
     *
     * @param epoch    the epoch that ended
     * @param channels the channels (null entries, not yet accepted, are skipped)
     * @return the epoch's figures
     */
    public EpochStats end(long epoch, SyncCounters[] channels) {
        long p = 0;
        long r = 0;
        long w = 0;
        for (SyncCounters c : channels) {
            if (c != null) {
                p += c.packetsAtSync();
                r += c.rawBytesAtSync();
                w += c.wireBytesAtSync();
            }
        }
        return end(epoch, p, r, w);
    }

    /** The epochs kept so far, oldest first. */
    public synchronized List<EpochStats> snapshot() {
        return List.copyOf(kept);
    }
}
