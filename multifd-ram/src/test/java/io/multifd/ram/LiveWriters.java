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

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The test "guest": one sweeper increments a generation counter in the first 8 bytes of each page
 * of a region, page by page, wrapping around (QEMU's migration test guest does this with one byte);
 * other writers dirty random pages outside the region. Every write is marked dirty after it.
 */
final class LiveWriters {

    private final RamBlock block;
    private final DirtyBitmap dirty;
    private final long sweepStart;
    private final long sweepEnd;
    private final long seed;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Thread> threads = new ArrayList<>();
    private final int randomWriters;
    private volatile Throwable failure;
    private final java.util.concurrent.Semaphore swept = new java.util.concurrent.Semaphore(0);

    LiveWriters(RamBlock block, DirtyBitmap dirty, long sweepStart, long sweepEnd, long seed) {
        this(block, dirty, sweepStart, sweepEnd, seed, 2);
    }

    LiveWriters(RamBlock block, DirtyBitmap dirty, long sweepStart, long sweepEnd, long seed, int randomWriters) {
        this.block = block;
        this.dirty = dirty;
        this.sweepStart = sweepStart;
        this.sweepEnd = sweepEnd;
        this.seed = seed;
        this.randomWriters = randomWriters;
    }

    void start() {
        int ps = block.pageSize();
        for (long off = sweepStart; off < sweepEnd; off += ps) {
            block.putLong(off, 0); // generation 0 everywhere before the sweeper starts
        }
        Thread sweeper = new Thread(() -> {
            try {
                while (!stop.get()) {
                    for (long off = sweepStart; off < sweepEnd && !stop.get(); off += ps) {
                        block.putLong(off, block.getLong(off) + 1);
                        dirty.mark(off);
                        if (swept.availablePermits() < 1_000_000) {
                            swept.release();
                        }
                    }
                }
            } catch (Throwable t) {
                failure = t;
            }
        }, "sweeper");
        threads.add(sweeper);
        for (int w = 0; w < randomWriters; w++) {
            long s = seed * 31 + w;
            threads.add(new Thread(() -> {
                try {
                    SplittableRandom rnd = new SplittableRandom(s);
                    long pagesOutside = (block.length() - sweepEnd) / ps;
                    byte[] buf = new byte[64];
                    while (!stop.get()) {
                        long off = sweepEnd + rnd.nextLong(pagesOutside) * ps + rnd.nextInt(ps - buf.length);
                        rnd.nextBytes(buf);
                        block.put(off, buf, 0, buf.length);
                        dirty.mark(off);
                        if (rnd.nextInt(64) == 0) {
                            Thread.onSpinWait();
                        }
                    }
                } catch (Throwable t) {
                    failure = t;
                }
            }, "writer-" + w));
        }
        for (Thread t : threads) {
            t.setDaemon(true);
            t.start();
        }
    }

    /**
     * Waits until the sweeper wrote (and marked) {@code pages} more pages: called between rounds so
     * that every round finds dirty pages however the threads are scheduled.
     */
    void awaitSweep(int pages) throws InterruptedException {
        swept.drainPermits();
        if (!swept.tryAcquire(pages, 20, java.util.concurrent.TimeUnit.SECONDS) && !stop.get()) {
            throw new AssertionError("the sweeper made no progress in 20 s");
        }
    }

    /** Stops every writer and waits for them; their writes happen-before the return. */
    void stop() throws InterruptedException {
        stop.set(true);
        for (Thread t : threads) {
            t.join(10_000);
            assertThat(t.isAlive()).as("writer %s ended", t.getName()).isFalse();
        }
        if (failure != null) {
            throw new AssertionError("writer failed", failure);
        }
    }

    /**
     * The swept region of a block holds generation g in pages before the sweeper's position and
     * g - 1 after it: every page is g or g-1, with exactly one edge (or none, if it stopped at a
     * wrap).
     */
    void checkSweep(RamBlock dst) {
        int ps = block.pageSize();
        long g = dst.getLong(sweepStart);
        int edges = 0;
        long prev = g;
        List<Long> bad = new ArrayList<>();
        for (long off = sweepStart; off < sweepEnd; off += ps) {
            long v = dst.getLong(off);
            if (v != g && v != g - 1) {
                bad.add(off);
            }
            if (v != prev) {
                if (v == prev - 1) {
                    edges++;
                } else {
                    bad.add(off);
                }
            }
            prev = v;
        }
        assertThat(bad).as("pages that are neither g=%d nor g-1, or rise again (seed %d)", g, seed).isEmpty();
        assertThat(edges).as("edges in the swept region (seed %d)", seed).isLessThanOrEqualTo(1);
        assertThat(g).as("the sweeper ran").isGreaterThan(0);
    }
}
