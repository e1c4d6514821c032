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

/**
 * The figures of one round of the engine: one sync epoch, the packets between two sync barriers
 * (the first epoch starts when the channels are connected; {@code finish()} ends the last one
 * with its own sync, so a migration of k explicit syncs has k + 1 epochs). The engine knows
 * nothing of a payload's own rounds; a payload that ends each of its rounds with a sync, such as
 * the RAM saver, has one epoch per round plus the final one of {@code finish()}. Immutable.
 *
 * <p>Counts are exact per epoch: a channel notes its counters when it writes (sender) or reads
 * (receiver) its SYNC marker of the epoch, and the epoch's figures are the sums of those notes
 * minus the previous epoch's.
 *
 * @param epoch     the epoch number, from 0
 * @param packets   data packets in the epoch over all channels
 * @param rawBytes  payload data bytes before encoding
 * @param wireBytes bytes on the wire over all channels (the first epoch includes the handshakes)
 * @param elapsed   from the end of the previous epoch (or the start of the migration) to the
 *                  end of this one: the sender's {@code sync()} returning, or the receiver's
 *                  barrier passing
 */
public record EpochStats(long epoch, long packets, long rawBytes, long wireBytes, Duration elapsed) {
}
