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

import io.multifd.api.MigrationStats;
import io.multifd.core.jfr.MigrationEvent;

import java.util.concurrent.atomic.AtomicReference;

/**
 * The end of one migration on one side, recorded once: its INFO line and its flight-recorder
 * {@link MigrationEvent}, which {@link #begin()} started. Shared by the sender and the receiver
 * so both report the same figures in the same words.
 *
 * <p>Thread-safe: {@link #begin()} is called once by the thread that starts the migration (the
 * sender's {@code connect()}, the receiver's coordinating thread at the first hello);
 * {@link #end} by whichever thread ends it, any number of times; only the first call after
 * {@code begin()} records anything.
 */
public final class MigrationRecord {

    private final String side;
    private final System.Logger log;
    private final AtomicReference<MigrationEvent> event = new AtomicReference<>();

    /**
     * @param side "sender" or "receiver", the event's side field
     * @param log  the facade's logger
     */
    public MigrationRecord(String side, System.Logger log) {
        this.side = side;
        this.log = log;
    }

    /** The migration started: the event's clock starts. */
    public void begin() {
        MigrationEvent e = new MigrationEvent();
        e.begin();
        event.set(e);
    }

    /**
     * The migration ended: logs one INFO line and commits the event if a recording wants it.
     * Does nothing if {@link #begin()} was never called (never connected, or no channel
     * accepted) or if the end was already recorded.
     *
     * @param s         the final statistics (or the last snapshot, if it failed)
     * @param completed whether it completed
     * @param failure   the first error, or null
     */
    public void end(MigrationStats s, boolean completed, Throwable failure) {
        MigrationEvent e = event.getAndSet(null);
        if (e == null) {
            return;
        }
        if (completed) {
            log.log(System.Logger.Level.INFO, "migration " + s.sessionId() + " completed: " + s.packets()
                    + " packets, " + Durations.bytes(s.rawBytes()) + " raw, " + Durations.bytes(s.wireBytes())
                    + " on the wire in " + Durations.format(s.elapsed()) + " ("
                    + Durations.bytes((long) s.wireBytesPerSecond()) + "/s, " + s.syncs() + " syncs)");
        } else {
            log.log(System.Logger.Level.INFO, "migration " + s.sessionId() + " ended without completing after "
                    + Durations.format(s.elapsed()) + ": " + s.packets() + " packets, "
                    + Durations.bytes(s.wireBytes()) + " on the wire");
        }
        e.end();
        if (e.shouldCommit()) {
            e.side = side;
            e.session = String.valueOf(s.sessionId());
            e.channels = s.channels();
            e.codec = s.codec();
            e.packets = s.packets();
            e.rawBytes = s.rawBytes();
            e.wireBytes = s.wireBytes();
            e.syncs = s.syncs();
            e.outcome = completed ? "completed" : "failed";
            e.failure = completed || failure == null ? null : Reasons.of(failure);
            e.commit();
        }
    }
}
