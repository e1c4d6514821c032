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

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Reusable views of one block's segments, for one channel thread: the buffers handed to the core
 * as packet data (sender) or data targets (receiver), and one probe per segment for zero checks.
 *
 * <p>A view is a {@link ByteBuffer#duplicate()} (or a read-only duplicate on the sender, so the
 * source memory can never be written through it) made the first time it is needed and afterwards
 * only re-positioned. A packet needs one view per run of adjacent pages, and the core keeps every
 * view of a packet until the packet is written (or its data read), so each segment keeps a small
 * pool that grows to the largest number of runs one packet ever had and is then reused:
 * steady state allocates nothing. Confined to one thread. Not part of the public API.
 */
public final class SegmentViews {

    private final ByteBuffer[] segments;
    private final boolean readOnly;
    private final ByteBuffer[][] pools;
    private final int[] used;
    private final ByteBuffer[] probes;
    private int[] touched = new int[4];
    private int touchedCount;

    /**
     * @param segments the block's segments (shared; never repositioned here)
     * @param readOnly true to make read-only views (sender), false for writable ones (receiver)
     */
    public SegmentViews(ByteBuffer[] segments, boolean readOnly) {
        this.segments = segments;
        this.readOnly = readOnly;
        this.pools = new ByteBuffer[segments.length][];
        this.used = new int[segments.length];
        this.probes = new ByteBuffer[segments.length];
    }

    /** Makes every view free again: call when the previous packet is done with them. */
    public void reset() {
        for (int i = 0; i < touchedCount; i++) {
            used[touched[i]] = 0;
        }
        touchedCount = 0;
    }

    /**
     * Takes a free view of {@code segment[pos, pos + len)}: position {@code pos}, limit
     * {@code pos + len}. It stays taken until {@link #reset()}.
     *
     * @param segment the segment index
     * @param pos     absolute start in the segment
     * @param len     length
     * @return the view
     */
    public ByteBuffer take(int segment, int pos, int len) {
        int u = used[segment];
        ByteBuffer[] pool = pools[segment];
        if (pool == null) {
            pool = pools[segment] = new ByteBuffer[4];
        } else if (u == pool.length) {
            pool = pools[segment] = Arrays.copyOf(pool, u * 2);
        }
        ByteBuffer v = pool[u];
        if (v == null) {
            v = pool[u] = newView(segment);
        }
        if (u == 0) {
            if (touchedCount == touched.length) {
                touched = Arrays.copyOf(touched, touchedCount * 2);
            }
            touched[touchedCount++] = segment;
        }
        used[segment] = u + 1;
        v.clear();
        v.limit(pos + len).position(pos);
        return v;
    }

    /**
     * The probe view of a segment: for zero checks and zero fills; its position and limit are
     * the caller's to change.
     *
     * @param segment the segment index
     * @return the probe
     */
    public ByteBuffer probe(int segment) {
        ByteBuffer p = probes[segment];
        if (p == null) {
            p = probes[segment] = newView(segment);
        }
        return p;
    }

    private ByteBuffer newView(int segment) {
        ByteBuffer s = segments[segment];
        return readOnly ? s.asReadOnlyBuffer() : s.duplicate();
    }
}
