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

import static org.assertj.core.api.Assertions.assertThat;

class PageBitmapTest {

    @Test
    void setOffsetsSetsExactlyThosePagesAcrossWords() {
        PageBitmap m = new PageBitmap(130);
        assertThat(m.countClear()).isEqualTo(130);
        assertThat(m.firstClear()).isZero();
        long[] offsets = {0, 4096, 63 * 4096L, 64 * 4096L, 129 * 4096L, 2 * 4096L};
        m.setOffsets(offsets, 0, offsets.length, 12);
        assertThat(m.countClear()).isEqualTo(124);
        for (long p : new long[] {0, 1, 2, 63, 64, 129}) {
            assertThat(m.get(p)).as("page " + p).isTrue();
        }
        assertThat(m.get(3)).isFalse();
        assertThat(m.get(128)).isFalse();
        assertThat(m.firstClear()).isEqualTo(3);
    }

    @Test
    void aFullBitmapHasNoClearBitEvenWithAPartialLastWord() {
        PageBitmap m = new PageBitmap(70);
        long[] offsets = new long[70];
        for (int i = 0; i < 70; i++) {
            offsets[i] = i * 512L;
        }
        m.setOffsets(offsets, 0, 40, 9);
        assertThat(m.firstClear()).isEqualTo(40);
        m.setOffsets(offsets, 40, 70, 9);
        assertThat(m.countClear()).isZero();
        assertThat(m.firstClear()).isEqualTo(-1);
    }
}
