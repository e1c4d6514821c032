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

import java.time.Duration;

/**
 * What one RAM round moved: returned by the {@link RamSaver} round methods and reported to its
 * {@link RoundListener}, and collected by {@link PreCopy}. Round 1 is everything, later rounds
 * what was dirtied meanwhile. Immutable.
 *
 * @param round       1-based round number
 * @param items       pages sent in this round, zero pages included
 * @param elidedItems of these, pages sent as metadata only (zero pages)
 * @param rawBytes    data bytes before encoding
 * @param wireBytes   bytes written on all channels during the round
 * @param elapsed     duration of the round, its sync included
 * @param remaining   pages still to send after the round (dirty pages left)
 * @param last        true for the final round (the source was paused for it)
 */
public record RoundStats(int round, long items, long elidedItems, long rawBytes, long wireBytes,
                         Duration elapsed, long remaining, boolean last) {

    /** Raw bytes per second of this round; 0 if no time elapsed. */
    public double rawBytesPerSecond() {
        double s = elapsed.toNanos() / 1e9;
        return s <= 0 ? 0 : rawBytes / s;
    }
}
