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

import io.multifd.ram.PostcopyAccess;
import io.multifd.ram.RamBlock;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * The "guest" of {@code multifd recv --postcopy-readers}: threads that, once the destination is
 * released, read random pages through {@link PostcopyAccess#require} at a steady total rate, as a
 * running workload would, until the migration ends. Each read requires one page and then reads
 * its bytes from the destination block.
 *
 * <p>Made and stopped by the command's thread; the reader threads are daemons.
 */
final class PostcopyReaders {

    private static final long TICK_NANOS = 1_000_000;

    private final PostcopyAccess access;
    private final List<Thread> threads = new ArrayList<>();
    private final LongAdder reads = new LongAdder();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean stopped;

    /**
     * Starts the readers.
     *
     * @param access       the destination's access object
     * @param count        reader threads, at least 1
     * @param pagesPerSec  pages read per second by all of them together, at least 1
     * @param seed         seeds the page choice
     */
    PostcopyReaders(PostcopyAccess access, int count, long pagesPerSec, long seed) {
        this.access = access;
        double rate = (double) pagesPerSec / count;
        for (int i = 0; i < count; i++) {
            long s = seed * 31 + i;
            Thread t = new Thread(() -> read(s, rate), "multifd-cli-reader-" + i);
            t.setDaemon(true);
            threads.add(t);
        }
        threads.forEach(Thread::start);
    }

    private void read(long seed, double rate) {
        try {
            while (!stopped && !access.awaitRelease(Duration.ofMillis(200))) {
                // the release is a future: each wait is bounded so that stop() is seen
            }
            SplittableRandom rnd = new SplittableRandom(seed);
            List<RamBlock> blocks = access.blocks();
            long start = System.nanoTime();
            long done = 0;
            byte[] page = new byte[RamBlock.MAX_PAGE_SIZE];
            while (!stopped && !blocks.isEmpty()) {
                long due = 1 + (long) ((System.nanoTime() - start) * rate / 1e9);
                while (done < due && !stopped) {
                    RamBlock b = blocks.get(rnd.nextInt(blocks.size()));
                    long offset = rnd.nextLong(b.pageCount()) * b.pageSize();
                    int len = b.pageLength(offset);
                    try {
                        access.require(b, offset, len);
                    } catch (java.io.IOException e) {
                        if (access.isPaused()) {
                            continue; // the link broke: wait for the resumed session like a stalled guest
                        }
                        throw e;
                    }
                    b.get(offset, page, 0, len);
                    done++;
                    reads.increment();
                }
                LockSupport.parkNanos(this, TICK_NANOS); // pacing, not synchronization
            }
        } catch (Throwable t) {
            if (!stopped) {
                failure.compareAndSet(null, t);
            }
        }
    }

    /**
     * Stops the readers and waits for them (each ends within its current require, bounded).
     *
     * @throws InterruptedException if interrupted while waiting
     */
    void stop() throws InterruptedException {
        stopped = true;
        for (Thread t : threads) {
            LockSupport.unpark(t);
            t.join(java.util.concurrent.TimeUnit.SECONDS.toMillis(35));
        }
    }

    /** Pages read so far. */
    long reads() {
        return reads.sum();
    }

    /** The first failure of a reader while the migration ran, or null. */
    Throwable failure() {
        return failure.get();
    }

    /**
     * Adds the post-copy figures of the destination to a result: {@code postcopy_requests},
     * {@code postcopy_requested_pages}, {@code postcopy_reads} and {@code request_latency_ms}
     * ({@code count}, {@code p50}, {@code p99}, {@code max}).
     *
     * @param json   the result
     * @param access the access object
     * @param reads  pages the readers read
     */
    static void fill(Json json, PostcopyAccess access, long reads) {
        PostcopyAccess.Latency l = access.latency();
        json.put("postcopy", access.isReleased())
                .put("postcopy_requests", access.requests())
                .put("postcopy_requested_pages", access.requestedPages())
                .put("postcopy_reads", reads)
                .put("request_latency_ms", new Json().put("count", l.count())
                        .put("p50", l.p50().toNanos() / 1e6)
                        .put("p99", l.p99().toNanos() / 1e6)
                        .put("max", l.max().toNanos() / 1e6));
    }
}
