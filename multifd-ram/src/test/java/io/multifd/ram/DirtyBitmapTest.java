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

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.BitSet;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(60)
class DirtyBitmapTest {

    @Test
    void marksCountsAndClears() {
        RamBlock b = RamBlock.allocate("d", 130 * 4096 + 1);
        DirtyBitmap d = new DirtyBitmap(b);
        assertThat(d.pageCount()).isEqualTo(131);
        assertThat(d.wordCount()).isEqualTo(3);
        d.markPage(0);
        d.markPage(0);
        d.mark(130L * 4096); // the partial page
        d.markRange(4095, 2); // pages 0 and 1
        assertThat(d.count()).isEqualTo(3);
        assertThat(d.isDirty(1)).isTrue();
        assertThat(d.isDirty(2)).isFalse();
        assertThat(d.getAndClearWord(0)).isEqualTo(0b11L);
        assertThat(d.count()).isEqualTo(1);
        assertThat(d.getAndClearWord(0)).isZero();
        assertThat(d.getAndClearWord(2)).isEqualTo(1L << (130 - 128));
        assertThat(d.count()).isZero();
        d.markAll();
        assertThat(d.count()).isEqualTo(131);
        d.clear();
        assertThat(d.count()).isZero();
        assertThatThrownBy(() -> d.markPage(131)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> d.mark(b.length())).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> d.markRange(b.length() - 1, 2)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    /**
     * Writers mark pages while a scanner clears words: no mark is lost (every page marked is either
     * collected by the scanner or still dirty at the end), nothing is invented, and the count ends
     * exact.
     */
    @Test
    void concurrentMarkingAndClearingLosesNothing() throws Exception {
        long seed = 0xD1279L;
        RamBlock b = RamBlock.allocate("d", 1 << 22); // 1024 pages: heavy contention per word
        DirtyBitmap d = new DirtyBitmap(b);
        int writers = 4;
        BitSet[] marked = new BitSet[writers];
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch done = new CountDownLatch(writers);
        Thread[] ts = new Thread[writers];
        for (int w = 0; w < writers; w++) {
            int id = w;
            marked[w] = new BitSet();
            ts[w] = new Thread(() -> {
                SplittableRandom rnd = new SplittableRandom(seed + id);
                for (int i = 0; i < 200_000; i++) {
                    int p = rnd.nextInt(1024);
                    d.markPage(p);
                    marked[id].set(p);
                }
                done.countDown();
            }, "writer-" + w);
            ts[w].start();
        }
        BitSet collected = new BitSet();
        long collectedCount = 0;
        while (done.getCount() > 0 || !stop.get()) {
            if (done.getCount() == 0) {
                stop.set(true); // one last pass after the writers ended
            }
            for (int w = 0; w < d.wordCount(); w++) {
                long bits = d.getAndClearWord(w);
                collectedCount += Long.bitCount(bits);
                while (bits != 0) {
                    collected.set(w * 64 + Long.numberOfTrailingZeros(bits));
                    bits &= bits - 1;
                }
            }
        }
        for (Thread t : ts) {
            t.join();
        }
        BitSet all = new BitSet();
        for (BitSet m : marked) {
            all.or(m);
        }
        assertThat(collected).as("seed %d", seed).isEqualTo(all);
        assertThat(d.count()).isZero();
        assertThat(collectedCount).isGreaterThanOrEqualTo(all.cardinality());
    }
}
