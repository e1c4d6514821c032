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
package io.multifd.api;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A snapshot of one side's counters: totals, per channel and per payload type. Immutable.
 * Taken at any time with {@code stats()} (the values of a running migration move on), and
 * returned in final form when the migration completes.
 *
 * @param sessionId   the session, or {@code null} before the first hello
 * @param channels    the channel count
 * @param codec the codec's name
 * @param elapsed     time since every channel of the sender connected (for a sender that never got
 *                    there: since {@code connect()} started its channels), or since the receiver
 *                    accepted its first channel; up to the end, once it ended
 * @param packets     data packets over all channels
 * @param rawBytes    payload data bytes before encoding, over all channels
 * @param wireBytes   every byte on the wire over all channels, handshake and headers included
 * @param syncs       completed sync barriers (sender: {@code sync()} calls; receiver: epochs passed)
 * @param perChannel  per-channel counters, ordered by channel id
 * @param perPayload  per-payload counters, ordered by wire id
 * @param perEpoch    the figures of every completed sync epoch (the engine's rounds), oldest
 *                    first; a migration with very many syncs keeps only the last
 *                    {@value #MAX_EPOCHS} (then the first entry's epoch number is not 0)
 */
public record MigrationStats(SessionId sessionId, int channels, String codec, Duration elapsed,
                             long packets, long rawBytes, long wireBytes, long syncs,
                             List<ChannelStats> perChannel, List<PayloadStats> perPayload,
                             List<EpochStats> perEpoch) {

    /** How many epochs {@link #perEpoch()} keeps at most. */
    public static final int MAX_EPOCHS = 1024;

    /** Makes the lists unmodifiable copies. */
    public MigrationStats {
        perChannel = List.copyOf(perChannel);
        perPayload = List.copyOf(perPayload);
        perEpoch = List.copyOf(perEpoch);
    }

    /**
     * Statistics without per-epoch figures.
     *
     * @param sessionId  the session, or {@code null} before the first hello
     * @param channels   the channel count
     * @param codec      the codec's name
     * @param elapsed    time since the start
     * @param packets    data packets over all channels
     * @param rawBytes   payload data bytes before encoding
     * @param wireBytes  every byte on the wire
     * @param syncs      completed sync barriers
     * @param perChannel per-channel counters, ordered by channel id
     * @param perPayload per-payload counters, ordered by wire id
     */
    public MigrationStats(SessionId sessionId, int channels, String codec, Duration elapsed,
                          long packets, long rawBytes, long wireBytes, long syncs,
                          List<ChannelStats> perChannel, List<PayloadStats> perPayload) {
        this(sessionId, channels, codec, elapsed, packets, rawBytes, wireBytes, syncs, perChannel, perPayload,
                List.of());
    }

    /**
     * Returns the counters of one payload type.
     *
     * @param name the payload's name, such as {@code ram}
     * @return its counters, or empty if that payload carried nothing and was not declared
     */
    public Optional<PayloadStats> payload(String name) {
        return perPayload.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    /** Wire bytes per second over the elapsed time; 0 if no time elapsed. */
    public double wireBytesPerSecond() {
        double s = elapsed.toNanos() / 1e9;
        return s <= 0 ? 0 : wireBytes / s;
    }

    /** Raw data bytes per wire byte (the compression ratio, headers included); 0 if nothing was sent. */
    public double ratio() {
        return wireBytes == 0 ? 0 : (double) rawBytes / wireBytes;
    }
}
