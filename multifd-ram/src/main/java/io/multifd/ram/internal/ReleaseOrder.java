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
package io.multifd.ram.internal;

import io.multifd.api.spi.IncomingPacket;
import io.multifd.ram.RamBlock;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * When a post-copy destination may be released. The sender syncs after its missing-page maps and
 * before the release marker; a sync barrier means every packet of the earlier epochs was applied
 * on every channel. So a release is refused unless its epoch is later than every map's and every
 * pre-copy page packet's: otherwise a pre-copy packet may still be landing on another channel and
 * would write over a page the running application already owns. When the receiver tracks every
 * page, a release is also refused while a page neither arrived nor is marked missing: the
 * application must never run on memory that never came.
 *
 * <p>Thread-safe: channel threads note epochs (a pre-copy packet's before its switched check; a
 * release sets the switched flag before it checks, so one of the two sees the other).
 */
final class ReleaseOrder {

    /** The latest epoch of a missing-page map (maps travel on one channel, before the release). */
    private volatile long lastMapEpoch = -1;
    /** The latest epoch in which a pre-copy page packet began. */
    private final AtomicLong lastPrecopyEpoch = new AtomicLong(-1);

    /** A pre-copy page packet of this epoch begins. */
    void precopyPacket(long epoch) {
        if (epoch > lastPrecopyEpoch.get()) {
            lastPrecopyEpoch.accumulateAndGet(epoch, Math::max);
        }
    }

    /** A missing-page map of this epoch was applied. */
    void map(long epoch) {
        if (epoch > lastMapEpoch) {
            lastMapEpoch = epoch;
        }
    }

    /**
     * Checks a release marker.
     *
     * @param packet   the release packet, for its epoch and errors
     * @param blocks   the session's blocks
     * @param missing  per block the missing-page bits
     * @param received per block the pages that arrived in this session, or null if not tracked
     * @throws IOException a malformed-packet error naming why the release is too early
     */
    void check(IncomingPacket packet, RamBlock[] blocks, AtomicLongArray[] missing, PageBitmap[] received)
            throws IOException {
        long last = Math.max(lastMapEpoch, lastPrecopyEpoch.get());
        if (packet.epoch() <= last) {
            throw packet.malformed("ram.flags", "RELEASE", "in epoch " + packet.epoch() + ", not after a sync barrier "
                    + "behind the missing-page maps and pre-copy packets of epoch " + last);
        }
        if (received == null) {
            return;
        }
        for (int b = 0; b < blocks.length; b++) {
            AtomicLongArray m = missing[b];
            long pages = blocks[b].pageCount();
            for (int w = 0; w < m.length(); w++) {
                long valid = w == m.length() - 1 && (pages & 63) != 0 ? (1L << (pages & 63)) - 1 : -1L;
                long holes = ~(received[b].word(w) | m.get(w)) & valid;
                if (holes != 0) {
                    long page = ((long) w << 6) + Long.numberOfTrailingZeros(holes);
                    throw packet.malformed("ram.flags", "RELEASE", "page " + page + " of block '" + blocks[b].name()
                            + "' neither arrived nor is marked missing: the destination cannot run");
                }
            }
        }
    }
}
