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

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(60)
class ZeroPagesTest {

    @ParameterizedTest
    @ValueSource(ints = {512, 4096, 65536, 2 << 20})
    void everyNonZeroPositionIsFound(int pageSize) {
        ByteBuffer mem = ByteBuffer.allocateDirect(pageSize * 3);
        ByteBuffer view = mem.duplicate();
        ZeroPages.Scanner s = new ZeroPages.Scanner();
        int pos = pageSize; // the middle page; neighbours carry data that must not be looked at
        mem.put(pageSize - 1, (byte) 7).put(2 * pageSize, (byte) 9);
        assertThat(s.isZero(view, pos, pageSize)).isTrue();
        int[] probes = {0, 1, 7, 8, 63, 64, pageSize / 2 - 1, pageSize / 2, pageSize / 2 + 1, pageSize - 64,
                pageSize - 9, pageSize - 8, pageSize - 2, pageSize - 1};
        for (int p : probes) {
            mem.put(pos + p, (byte) 0x80);
            assertThat(s.isZero(view, pos, pageSize)).as("non-zero byte at %d of %d", p, pageSize).isFalse();
            mem.put(pos + p, (byte) 0);
            assertThat(s.isZero(view, pos, pageSize)).isTrue();
        }
        // every single position for the small page sizes
        if (pageSize <= 4096) {
            for (int p = 0; p < pageSize; p++) {
                mem.put(pos + p, (byte) 1);
                assertThat(s.isZero(view, pos, pageSize)).as("byte %d", p).isFalse();
                mem.put(pos + p, (byte) 0);
            }
        }
    }

    @Test
    void partialLengthsAndOddOffsets() {
        ByteBuffer mem = ByteBuffer.allocateDirect(10_000);
        ZeroPages.Scanner s = new ZeroPages.Scanner();
        assertThat(s.isZero(mem.duplicate(), 3, 1)).isTrue();
        assertThat(s.isZero(mem.duplicate(), 0, 10_000)).isTrue();
        mem.put(9_999, (byte) 1);
        assertThat(s.isZero(mem.duplicate(), 0, 9_999)).isTrue();
        assertThat(s.isZero(mem.duplicate(), 0, 10_000)).isFalse();
        assertThat(s.isZero(mem.duplicate(), 9_999, 1)).isFalse();
        assertThat(ZeroPages.isZero(mem, 100, 9_899)).isTrue();
        assertThat(ZeroPages.isZero(mem, 100, 9_900)).isFalse();
        // ranges shorter than, as long as and just longer than the 8-byte spot check, at odd offsets
        for (int len = 1; len <= 9; len++) {
            mem.put(9_999, (byte) 0);
            int from = 9_999 - len + 1;
            assertThat(s.isZero(mem.duplicate(), from, len)).as("zero, length %d", len).isTrue();
            mem.put(9_999, (byte) 1);
            assertThat(s.isZero(mem.duplicate(), from, len)).as("last byte of length %d", len).isFalse();
            assertThat(s.isZero(mem.duplicate(), from - 1, len)).as("just before it, length %d", len).isTrue();
        }
    }

    @Test
    void readOnlyAndHeapBuffersWork() {
        ByteBuffer heap = ByteBuffer.allocate(8192);
        ZeroPages.Scanner s = new ZeroPages.Scanner();
        assertThat(s.isZero(heap.duplicate(), 0, 8192)).isTrue();
        heap.put(5000, (byte) 2);
        assertThat(s.isZero(heap.asReadOnlyBuffer(), 4096, 4096)).isFalse();
        assertThat(s.isZero(heap.asReadOnlyBuffer(), 0, 4096)).isTrue();
    }

    @Test
    void zeroFillsExactlyTheRange() {
        int len = 3 * ZeroPages.ZERO_LENGTH + 100;
        ByteBuffer mem = ByteBuffer.allocateDirect(len + 2);
        for (int i = 0; i < mem.capacity(); i++) {
            mem.put(i, (byte) 0x55);
        }
        ZeroPages.Scanner s = new ZeroPages.Scanner();
        s.zero(mem.duplicate(), 1, len);
        assertThat(mem.get(0)).isEqualTo((byte) 0x55);
        assertThat(mem.get(len + 1)).isEqualTo((byte) 0x55);
        assertThat(s.isZero(mem.duplicate(), 1, len)).isTrue();
    }
}
