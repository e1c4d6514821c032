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
package io.multifd.core.session;

import io.multifd.api.MigrationFailedException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FailureLatchTest {

    @Test
    void firstErrorWinsAndLaterOnesAreDropped() throws MigrationFailedException {
        FailureLatch latch = new FailureLatch();
        latch.throwIfFailed("send");
        IOException first = new IOException("first");
        assertThat(latch.trip(first)).isTrue();
        assertThat(latch.trip(new IOException("second"))).isFalse();
        assertThat(latch.trip(first)).isFalse();
        assertThat(latch.cause()).isSameAs(first);
        assertThat(latch.failed()).isTrue();
        assertThat(latch.seal()).isFalse();
        assertThat(latch.sealed()).isFalse();
        assertThatThrownBy(() -> latch.throwIfFailed("send"))
                .isInstanceOf(MigrationFailedException.class)
                .hasMessageContaining("send failed")
                .hasCause(first);
    }

    @Test
    void aSealedLatchNeverTrips() throws MigrationFailedException {
        FailureLatch latch = new FailureLatch();
        assertThat(latch.seal()).isTrue();
        assertThat(latch.seal()).isTrue();
        assertThat(latch.trip(new IOException("late"))).isFalse();
        assertThat(latch.failed()).isFalse();
        assertThat(latch.cause()).isNull();
        latch.throwIfFailed("finish");
    }

    @Test
    void exactlyOneOfManyRacingErrorsWins() throws InterruptedException {
        FailureLatch latch = new FailureLatch();
        int n = 8;
        AtomicInteger winners = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        Thread[] ts = new Thread[n];
        for (int i = 0; i < n; i++) {
            IOException e = new IOException("error " + i);
            ts[i] = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException x) {
                    return;
                }
                if (latch.trip(e)) {
                    winners.incrementAndGet();
                }
            });
            ts[i].start();
        }
        start.countDown();
        for (Thread t : ts) {
            t.join();
        }
        assertThat(winners.get()).isEqualTo(1);
        assertThat(latch.cause()).isNotNull();
    }
}
