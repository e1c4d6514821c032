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

import io.multifd.api.ChannelStats;
import io.multifd.api.EpochStats;
import io.multifd.api.MigrationStats;
import io.multifd.api.PayloadStats;
import io.multifd.api.SessionId;
import io.multifd.api.spi.PayloadReceiver;
import io.multifd.core.channel.ChannelSender;
import io.multifd.core.channel.ReceiveChannel;
import io.multifd.core.channel.ReceiverParts;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Puts one {@link MigrationStats} snapshot together, the same way on both sides: add every
 * channel's counters and every payload's counters, then {@link #build}. The totals are the sums
 * of the channels'. One use, by one thread; not on the per-packet path.
 */
public final class StatsAssembly {

    private final List<ChannelStats> channels;
    private final List<PayloadStats> payloads = new ArrayList<>();
    private long packets;
    private long rawBytes;
    private long wireBytes;

    /**
     * @param channelCount how many channels will be added (a sizing hint)
     */
    public StatsAssembly(int channelCount) {
        this.channels = new ArrayList<>(Math.max(0, channelCount));
    }

    /**
     * Adds one channel's counters.
     *
     * @param id        the channel id
     * @param packets   data packets
     * @param rawBytes  raw data bytes
     * @param wireBytes bytes on the wire, handshake included
     * @param syncs     SYNC markers
     * @param writeBlockedNanos time blocked in the transport's writes
     * @param readBlockedNanos  time blocked in the transport's reads
     * @return this
     */
    public StatsAssembly channel(int id, long packets, long rawBytes, long wireBytes, long syncs,
                                 long writeBlockedNanos, long readBlockedNanos) {
        ChannelStats s = new ChannelStats(id, packets, rawBytes, wireBytes, syncs, Duration.ofNanos(writeBlockedNanos),
                Duration.ofNanos(readBlockedNanos));
        channels.add(s);
        this.packets += s.packets();
        this.rawBytes += s.rawBytes();
        this.wireBytes += s.wireBytes();
        return this;
    }

    /**
     * Adds a payload's counters if the payload took part (declared on the sender, opened on the
     * receiver) or counted anything.
     *
     * @param counters the payload's counters
     * @param inUse    whether the payload took part in this migration
     * @return this
     */
    public StatsAssembly payload(PayloadCounters counters, boolean inUse) {
        if (inUse || !counters.isEmpty()) {
            payloads.add(counters.snapshot());
        }
        return this;
    }

    /**
     * Makes the snapshot.
     *
     * @param sessionId    the session, or null before it is known (receiver before the first hello)
     * @param channelCount the channel count to report
     * @param codec        the codec's name
     * @param startNanos   {@link System#nanoTime()} when the transfer started, 0 if it did not
     * @param endNanos     when it ended, 0 if it is still running (then: now)
     * @param syncs        completed sync rounds
     * @param epochs       the completed epochs' figures, oldest first
     * @return the statistics
     */
    public MigrationStats build(SessionId sessionId, int channelCount, String codec, long startNanos, long endNanos,
                                long syncs, List<EpochStats> epochs) {
        return new MigrationStats(sessionId, channelCount, codec, elapsed(startNanos, endNanos), packets, rawBytes,
                wireBytes, syncs, channels, payloads, epochs);
    }

    /**
     * A sender's snapshot. Any thread.
     *
     * @param cs         the channels, empty before {@code connect()}
     * @param counters   the payload counters by registry index
     * @param declared   which payloads were declared
     * @param sessionId  the session
     * @param configured the configured channel count (reported before the channels exist)
     * @param codec      the codec's name
     * @param startNanos when the channels started, 0 before
     * @param endNanos   when it ended, 0 while running
     * @param syncs      completed syncs
     * @param epochs     the epochs so far
     * @return the statistics
     */
    public static MigrationStats ofSender(ChannelSender[] cs, PayloadCounters[] counters, SetupRecords declared,
                                          SessionId sessionId, int configured, String codec, long startNanos,
                                          long endNanos, long syncs, List<EpochStats> epochs) {
        StatsAssembly a = new StatsAssembly(cs.length);
        for (ChannelSender c : cs) {
            a.channel(c.id(), c.packets(), c.rawBytes(), c.wireBytes(), c.syncs(), c.writeBlockedNanos(),
                    c.readBlockedNanos());
        }
        for (int i = 0; i < counters.length; i++) {
            a.payload(counters[i], declared.isDeclared(i));
        }
        return a.build(sessionId, cs.length == 0 ? configured : cs.length, codec, startNanos, endNanos, syncs, epochs);
    }

    /**
     * A receiver's snapshot: the channels accepted so far, the payloads the manifest opened, and
     * the session's terms once the first hello fixed them. Any thread.
     *
     * @param cs         the channel table (null entries: not accepted yet)
     * @param receivers  the opened payload receivers by registry index, or null before the manifest
     * @param counters   the payload counters by registry index
     * @param parts      the session's parts, or null before the first hello
     * @param startNanos when the first channel was accepted, 0 if none
     * @param endNanos   when it ended, 0 while running
     * @param epochs     the epochs so far
     * @return the statistics
     */
    public static MigrationStats ofReceiver(ReceiveChannel[] cs, PayloadReceiver[] receivers,
                                            PayloadCounters[] counters, ReceiverParts parts, long startNanos,
                                            long endNanos, List<EpochStats> epochs) {
        StatsAssembly a = new StatsAssembly(cs.length);
        for (ReceiveChannel c : cs) {
            if (c != null) {
                a.channel(c.id(), c.packets(), c.rawBytes(), c.io().offset(), c.syncs(), c.io().writeBlockedNanos(),
                        c.io().readBlockedNanos());
            }
        }
        for (int i = 0; i < counters.length; i++) {
            a.payload(counters[i], receivers != null && receivers[i] != null);
        }
        SessionTerms t = parts == null ? null : parts.terms();
        return a.build(t == null ? null : t.sessionId(), t == null ? 0 : t.channelCount(),
                t == null ? "" : t.codec().name(), startNanos, endNanos,
                parts == null ? 0 : parts.barrier().passedEpochs(), epochs);
    }

    /**
     * The time between two {@link System#nanoTime()} stamps.
     *
     * @param startNanos the start, 0 if it did not start (then: zero)
     * @param endNanos   the end, 0 if still running (then: now)
     * @return the elapsed time, never negative
     */
    public static Duration elapsed(long startNanos, long endNanos) {
        if (startNanos == 0) {
            return Duration.ZERO;
        }
        long end = endNanos != 0 ? endNanos : System.nanoTime();
        return Duration.ofNanos(Math.max(0, end - startNanos));
    }
}
