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
package io.multifd.core.channel;

import io.multifd.core.testkit.Async;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.InterruptedIOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The bandwidth cap's rate changes while writers wait: they follow the new rate. */
@Timeout(60)
class RateLimiterTest {

    /** A writer asking for more than the bucket can fill in an hour at the old rate. */
    private static CompletableFuture<Void> waiter(RateLimiter l, int bytes, AtomicBoolean aborted) {
        return Async.run(() -> {
            try {
                l.acquire(bytes, aborted::get);
            } catch (InterruptedIOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    @Test
    void liftingTheCapReleasesAWaitingWriter() throws Exception {
        RateLimiter l = new RateLimiter(4096);
        assertThat(l.unlimited()).isFalse();
        l.acquire(0, () -> false);
        CompletableFuture<Void> w = waiter(l, 4096, new AtomicBoolean());
        // 4096 bytes at 4096 B/s from an empty bucket: not within a tenth of a second
        assertThatThrownBy(() -> w.get(100, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
        l.rate(0);
        w.get(30, TimeUnit.SECONDS);
        assertThat(l.unlimited()).isTrue();
        assertThat(l.rate()).isZero();
    }

    @Test
    void raisingTheRateShortensTheWait() throws Exception {
        RateLimiter l = new RateLimiter(4096);
        int chunk = 4096; // a full bucket at the old rate: about a second of waiting
        CompletableFuture<Void> w = waiter(l, chunk, new AtomicBoolean());
        assertThatThrownBy(() -> w.get(100, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
        l.rate(1L << 30); // a GiB/s refills 4 KiB in microseconds
        w.get(30, TimeUnit.SECONDS);
        assertThat(l.chunk()).isEqualTo(1 << 20);
    }

    @Test
    void aChunkAskedAtAHigherRateStillPassesAfterTheRateDrops() throws Exception {
        RateLimiter l = new RateLimiter(64L << 20);
        int chunk = l.chunk(); // 1 MiB: more than the bucket holds at 4 KiB/s
        l.rate(40_960);
        CompletableFuture<Void> w = waiter(l, chunk, new AtomicBoolean());
        w.get(30, TimeUnit.SECONDS); // waits for the lowered capacity (0.1 s of bytes), never forever
    }

    @Test
    void anAbortEndsTheWait() throws Exception {
        RateLimiter l = new RateLimiter(4096);
        AtomicBoolean aborted = new AtomicBoolean();
        CompletableFuture<Void> w = waiter(l, 4096, aborted);
        aborted.set(true);
        l.wakeAll();
        assertThatThrownBy(() -> w.get(30, TimeUnit.SECONDS)).hasRootCauseInstanceOf(InterruptedIOException.class)
                .rootCause().hasMessageContaining("aborted");
    }

    /**
     * Writers are served in the order they asked: eight threads asking again and again for a
     * chunk each get their turn in a round, so their grant counts differ by at most one or two
     * (a free-for-all let some take most refills). Counts, not times: deterministic under load.
     */
    @Test
    void writersTakeTurnsInOrder() throws Exception {
        int writers = 8;
        RateLimiter l = new RateLimiter(128 << 10, writers);
        assertThat(l.chunk()).isEqualTo((128 << 10) / 20 / writers);
        java.util.concurrent.atomic.AtomicLongArray grants = new java.util.concurrent.atomic.AtomicLongArray(writers);
        AtomicBoolean stop = new AtomicBoolean();
        // every writer's first grant: from then on each has queued once (they started at different times)
        java.util.concurrent.CountDownLatch firstGrants = new java.util.concurrent.CountDownLatch(writers);
        java.util.concurrent.Semaphore granted = new java.util.concurrent.Semaphore(0); // one permit a grant
        List<CompletableFuture<Void>> all = new java.util.ArrayList<>();
        for (int w = 0; w < writers; w++) {
            int me = w;
            all.add(Async.run(() -> {
                try {
                    while (!stop.get()) {
                        l.acquire(l.chunk(), () -> false);
                        if (grants.incrementAndGet(me) == 1) {
                            firstGrants.countDown();
                        }
                        granted.release();
                    }
                } catch (InterruptedIOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }));
        }
        assertThat(firstGrants.await(20, TimeUnit.SECONDS)).as("every writer was served once").isTrue();
        long[] base = new long[writers];
        for (int w = 0; w < writers; w++) {
            base[w] = grants.get(w);
        }
        granted.drainPermits();
        assertThat(granted.tryAcquire(20 * writers, 30, TimeUnit.SECONDS)).as("20 rounds of grants").isTrue();
        stop.set(true);
        l.rate(0); // releases whoever waits
        for (CompletableFuture<Void> f : all) {
            f.get(10, TimeUnit.SECONDS);
        }
        long min = Long.MAX_VALUE;
        long max = 0;
        for (int w = 0; w < writers; w++) {
            min = Math.min(min, grants.get(w) - base[w]);
            max = Math.max(max, grants.get(w) - base[w]);
        }
        assertThat(max - min).as("grants per writer: %s, from %s", grants, java.util.Arrays.toString(base))
                .isLessThanOrEqualTo(2);
    }

    @Test
    void refusesANegativeRate() {
        assertThatThrownBy(() -> new RateLimiter(4096).rate(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-1");
    }
}
