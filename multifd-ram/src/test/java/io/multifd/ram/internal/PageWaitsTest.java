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

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A waiting require's request goes out without the waiters' lock: while that write is blocked
 * (the return path full), page arrivals and state changes still wake the waiters. Found by the
 * post-copy audit, by reading: the request was sent from inside the wait's check, under the lock.
 */
@Timeout(30)
class PageWaitsTest {

    @Test
    void aBlockedRequestDoesNotHoldWakeUpsBack() throws Exception {
        AtomicBoolean arrived = new AtomicBoolean();
        PageWaits waits = new PageWaits((block, first, last) -> arrived.get());
        CountDownLatch sending = new CountDownLatch(1);
        CountDownLatch unblock = new CountDownLatch(1);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread waiter = new Thread(() -> {
            try {
                waits.await(arrived::get, () -> {
                    sending.countDown(); // the request's write blocks until the test lets it go
                    try {
                        unblock.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, 0, 0, 0, System.nanoTime() + TimeUnit.SECONDS.toNanos(20), () -> { },
                        () -> new IOException("page 0 did not arrive"), "page 0");
            } catch (IOException | RuntimeException e) {
                failed.set(e);
            }
        }, "waiter");
        waiter.start();
        assertThat(sending.await(10, TimeUnit.SECONDS)).isTrue();
        // the page arrives while the request is still being written: the channel thread's wake-up
        // and a state change's wake-all must not wait for that write
        CompletableFuture<Void> wake = CompletableFuture.runAsync(() -> {
            arrived.set(true);
            waits.wakeComplete(0);
            waits.wakeAll();
        }, r -> new Thread(r, "arrival").start());
        wake.get(5, TimeUnit.SECONDS);
        unblock.countDown();
        waiter.join(10_000);
        assertThat(waiter.isAlive()).isFalse();
        assertThat(failed.get()).as("the wait ended with the arrival").isNull();
    }
}
