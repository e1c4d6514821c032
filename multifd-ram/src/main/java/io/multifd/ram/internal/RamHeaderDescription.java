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

import io.multifd.ram.RamPayload;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a RAM payload header claims, for tools that decode recorded streams: version, flags, block
 * name, page counts and offsets (the first {@value #MAX_OFFSETS}). Checks nothing against a
 * session. Stateless; any thread.
 */
public final class RamHeaderDescription {

    /** Offsets listed at most; the rest are counted. */
    public static final int MAX_OFFSETS = 16;

    private RamHeaderDescription() {
    }

    /**
     * Describes {@code h} (position 0 to limit); never throws.
     *
     * @param h the payload header
     * @return the fields in wire order, with an {@code error} entry where the bytes end early
     */
    public static Map<String, Object> describe(ByteBuffer h) {
        Map<String, Object> m = new LinkedHashMap<>();
        int hl = h.limit();
        if (hl < RamPayload.HEADER_FIXED_LENGTH) {
            m.put("error", "a " + hl + "-byte header is shorter than the " + RamPayload.HEADER_FIXED_LENGTH
                    + "-byte fixed part");
            return m;
        }
        m.put("version", h.get(0) & 0xFF);
        int flags = h.get(1) & 0xFF;
        m.put("flags", flags);
        m.put("kind", switch (flags) {
            case 0 -> "pages";
            case RamPayload.FLAG_POSTCOPY_PAGES -> "post-copy pages";
            case RamPayload.FLAG_MISSING -> "missing-page map";
            case RamPayload.FLAG_RELEASE -> "release";
            default -> "unknown";
        });
        int n = h.getShort(2) & 0xFFFF;
        long normal = Integer.toUnsignedLong(h.getInt(4));
        long zero = Integer.toUnsignedLong(h.getInt(8));
        if (RamPayload.HEADER_FIXED_LENGTH + (long) n > hl) {
            m.put("error", "a " + n + "-byte block name does not fit in a " + hl + "-byte header");
            return m;
        }
        byte[] name = new byte[n];
        h.get(RamPayload.HEADER_FIXED_LENGTH, name, 0, n);
        m.put("block", new String(name, StandardCharsets.UTF_8).replaceAll("\\p{Cntrl}", "?"));
        m.put("normalPages", normal);
        m.put("zeroPages", zero);
        int at = RamPayload.HEADER_FIXED_LENGTH + n;
        long listed = (hl - at) / 8;
        List<Long> offsets = new ArrayList<>();
        for (int i = 0; i < Math.min(listed, MAX_OFFSETS); i++) {
            offsets.add(h.getLong(at + 8 * i));
        }
        m.put(flags == RamPayload.FLAG_MISSING ? "firstWordAndWords" : "offsets", offsets);
        if (listed > MAX_OFFSETS) {
            m.put("moreOffsets", listed - MAX_OFFSETS);
        }
        if (listed != normal + zero || (hl - at) % 8 != 0) {
            m.put("error", "the header has room for " + listed + " offsets, the counts say " + (normal + zero));
        }
        return m;
    }
}
