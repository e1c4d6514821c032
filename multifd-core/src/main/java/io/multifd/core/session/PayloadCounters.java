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

import io.multifd.api.PayloadStats;

import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of one payload type on one side, updated by every channel thread. {@link LongAdder}
 * allocates only when first contended, so steady state allocates nothing. Thread-safe.
 */
public final class PayloadCounters {

    private final int typeId;
    private final String name;
    private final LongAdder packets = new LongAdder();
    private final LongAdder rawBytes = new LongAdder();
    private final LongAdder wireBytes = new LongAdder();
    private final LongAdder items = new LongAdder();
    private final LongAdder elided = new LongAdder();

    /**
     * @param typeId the payload's wire id
     * @param name   its name
     */
    public PayloadCounters(int typeId, String name) {
        this.typeId = typeId;
        this.name = name;
    }

    /**
     * Counts one packet.
     *
     * @param raw         raw data bytes
     * @param wire        bytes on the wire
     * @param itemCount   items with data
     * @param elidedCount items sent as metadata only
     */
    public void add(long raw, long wire, long itemCount, long elidedCount) {
        packets.increment();
        rawBytes.add(raw);
        wireBytes.add(wire);
        if (itemCount != 0) {
            items.add(itemCount);
        }
        if (elidedCount != 0) {
            elided.add(elidedCount);
        }
    }

    /** True if nothing was counted. */
    public boolean isEmpty() {
        return packets.sum() == 0;
    }

    /** A snapshot. */
    public PayloadStats snapshot() {
        return new PayloadStats(typeId, name, packets.sum(), rawBytes.sum(), wireBytes.sum(), items.sum(), elided.sum());
    }
}
