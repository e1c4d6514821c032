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
package io.multifd.examples.cli;

import io.multifd.ram.DirtyBitmap;
import io.multifd.ram.RamBlock;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * The "guest" of {@code multifd send --dirty-rate}: threads that keep writing random pages of
 * the block while it migrates, at a steady rate, and mark each page dirty <em>after</em> writing
 * it (the rule of {@link DirtyBitmap}), so that pre-copy sends it again.
 *
 * <p>Each write stores 8 bytes (a running counter mixed with the thread's seed) at a random
 * aligned place in a random page. The block must be writable: the send command maps the image
 * copy-on-write, so the writers change the process's private copy, never the file.
 *
 * <p>{@link #start()} and {@link #stop()} are called by the migration thread; {@link #stop()}
 * returns once every writer ended, so their writes and marks happen-before its return (what
 * {@link io.multifd.ram.PreCopy.Pause} requires).
 */
public final class DirtyWriters {

    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    private final RamBlock block;
    private final DirtyBitmap bitmap;
    private final double pagesPerSecond;
    private final long seed;
    private final List<Thread> threads = new ArrayList<>();
    private final LongAdder written = new LongAdder();
    private volatile boolean stopped;

    /**
     * @param block          the block to write (writable)
     * @param bitmap         its dirty bitmap
     * @param pagesPerSecond the total rate, at least 1
     * @param seed           the seed of the page choice
     */
    public DirtyWriters(RamBlock block, DirtyBitmap bitmap, long pagesPerSecond, long seed) {
        if (pagesPerSecond < 1) {
            throw new IllegalArgumentException("pagesPerSecond must be at least 1: " + pagesPerSecond);
        }
        if (block.isReadOnly()) {
            throw new IllegalArgumentException("block " + block + " is read-only");
        }
        this.block = block;
        this.bitmap = bitmap;
        this.pagesPerSecond = pagesPerSecond;
        this.seed = seed;
    }

    /** Starts the writers: one, or two above 100,000 pages per second. */
    public void start() {
        int n = pagesPerSecond > 100_000 ? 2 : 1;
        for (int i = 0; i < n; i++) {
            long s = seed * 31 + i;
            double rate = pagesPerSecond / n;
            Thread t = new Thread(() -> write(s, rate), "multifd-cli-writer-" + i);
            t.setDaemon(true);
            threads.add(t);
        }
        threads.forEach(Thread::start);
    }

    /**
     * Stops the writers and waits for them to end (a few milliseconds).
     *
     * @throws InterruptedException if interrupted while waiting
     */
    public void stop() throws InterruptedException {
        stopped = true;
        for (Thread t : threads) {
            LockSupport.unpark(t);
            t.join();
        }
    }

    /** Pages written so far (a page written twice counts twice). */
    public long pagesWritten() {
        return written.sum();
    }

    private void write(long threadSeed, double rate) {
        SplittableRandom rnd = new SplittableRandom(threadSeed);
        byte[] value = new byte[8];
        long pages = block.pageCount();
        int pageSize = block.pageSize();
        long start = System.nanoTime();
        long done = 0;
        long counter = threadSeed;
        while (!stopped) {
            // the first page is written at once; then the rate is kept on average
            long due = 1 + (long) ((System.nanoTime() - start) * rate / 1e9);
            while (done < due && !stopped) {
                long page = rnd.nextLong(pages);
                long offset = page * pageSize;
                int len = block.pageLength(offset);
                int at = len >= 8 ? 8 * rnd.nextInt(len / 8) : 0;
                counter = counter * 6364136223846793005L + 1442695040888963407L;
                for (int b = 0; b < 8; b++) {
                    value[b] = (byte) (counter >>> (8 * b));
                }
                block.put(offset + at, value, 0, Math.min(8, len - at));
                bitmap.markPage(page); // after the write
                done++;
                written.increment();
            }
            LockSupport.parkNanos(this, TICK_NANOS); // pacing, not synchronization
        }
    }
}
