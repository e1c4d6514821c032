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
import java.util.Objects;

/**
 * Counters of one channel, as a snapshot. Immutable.
 *
 * <p>The blocked times add up the time the channel's threads spent inside the transport's
 * {@code write} and {@code read} calls. A sender's write time grows when the network or the
 * receiver cannot keep up (the wait for the bandwidth cap is not counted: that wait is chosen);
 * a receiver's read time also counts the time it waited for the sender to send anything, so on
 * the receiver it says "idle or starved" rather than "slow". A call still blocked when the
 * snapshot is taken is counted once it returns.
 *
 * @param channel      the channel id
 * @param packets      data packets sent or received (control packets such as SYNC not included)
 * @param rawBytes     payload data bytes before encoding (what the payloads carried)
 * @param wireBytes    every byte written or read on this channel: handshake, headers, data, control
 * @param syncs        SYNC markers sent or received
 * @param writeBlocked time spent blocked in the transport's writes
 * @param readBlocked  time spent blocked in the transport's reads
 */
public record ChannelStats(int channel, long packets, long rawBytes, long wireBytes, long syncs,
                           Duration writeBlocked, Duration readBlocked) {

    /** Checks that the durations are present. */
    public ChannelStats {
        Objects.requireNonNull(writeBlocked, "writeBlocked");
        Objects.requireNonNull(readBlocked, "readBlocked");
    }

    /**
     * Counters without blocked times (both zero), as before they were measured.
     *
     * @param channel   the channel id
     * @param packets   data packets
     * @param rawBytes  raw data bytes
     * @param wireBytes bytes on the wire
     * @param syncs     SYNC markers
     */
    public ChannelStats(int channel, long packets, long rawBytes, long wireBytes, long syncs) {
        this(channel, packets, rawBytes, wireBytes, syncs, Duration.ZERO, Duration.ZERO);
    }
}
