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

/**
 * Finds a block by the UTF-8 bytes of its name as they sit in a received header, without making
 * a String: an open-addressing hash table of the names, compared byte by byte. Immutable after
 * construction, so safe for every channel thread at once. Not part of the public API.
 */
public final class BlockTable {

    private final byte[][] names;
    private final int[] slots; // index + 1, 0 = empty
    private final int mask;

    /**
     * @param names the block names as UTF-8, distinct; index i is returned for names[i]
     */
    public BlockTable(byte[][] names) {
        this.names = names.clone();
        int size = Integer.highestOneBit(Math.max(4, names.length * 2 - 1)) << 1;
        this.slots = new int[size];
        this.mask = size - 1;
        for (int i = 0; i < names.length; i++) {
            int h = hash(names[i]) & mask;
            while (slots[h] != 0) {
                h = (h + 1) & mask;
            }
            slots[h] = i + 1;
        }
    }

    /**
     * Looks up {@code buf[pos, pos + len)}, read with absolute gets (the buffer is not changed).
     *
     * @param buf a buffer holding the name bytes
     * @param pos where they start
     * @param len how many
     * @return the index of the block, or -1 if no block has that name
     */
    public int find(ByteBuffer buf, int pos, int len) {
        int h = 0x811C9DC5;
        for (int i = 0; i < len; i++) {
            h = (h ^ (buf.get(pos + i) & 0xFF)) * 0x01000193;
        }
        int s = mix(h) & mask;
        while (true) {
            int idx = slots[s] - 1;
            if (idx < 0) {
                return -1;
            }
            if (equal(names[idx], buf, pos, len)) {
                return idx;
            }
            s = (s + 1) & mask;
        }
    }

    private static boolean equal(byte[] name, ByteBuffer buf, int pos, int len) {
        if (name.length != len) {
            return false;
        }
        for (int i = 0; i < len; i++) {
            if (name[i] != buf.get(pos + i)) {
                return false;
            }
        }
        return true;
    }

    private static int hash(byte[] b) {
        int h = 0x811C9DC5;
        for (byte x : b) {
            h = (h ^ (x & 0xFF)) * 0x01000193;
        }
        return mix(h);
    }

    private static int mix(int h) {
        return h ^ (h >>> 16);
    }
}
