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

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The progress clock's arithmetic, with ticks placed explicitly (no sleeping): a wait's deadline
 * is the timeout and a quarter from the later of its start and the last tick; a channel waiting
 * for bandwidth suspends the count; a frozen clock is a plain deadline.
 */
class ProgressClockTest {

    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    @Test
    void aWaitGetsTheTimeoutAndAQuarterFromItsStart() {
        ProgressClock c = ProgressClock.of(Duration.ofSeconds(1));
        long start = System.nanoTime();
        assertThat(c.left(start)).isBetween(0L, SECOND + SECOND / 4);
        c.tick(start - 3 * SECOND);
        assertThat(c.left(start - 2 * SECOND)).as("a wait that began 2 s ago, no progress since").isNegative();
        assertThat(c.stalledWords()).isEqualTo("no channel moved a byte for 1 s");
    }

    @Test
    void progressMovesTheDeadline() {
        ProgressClock c = ProgressClock.of(Duration.ofSeconds(1));
        long longAgo = System.nanoTime() - 10 * SECOND;
        assertThat(c.left(longAgo)).as("started long ago, the clock's last progress is its creation")
                .isPositive();
        c.tick(System.nanoTime() - 3 * SECOND);
        assertThat(c.left(longAgo)).as("last progress 3 s ago").isNegative();
        c.tick(System.nanoTime());
        assertThat(c.left(longAgo)).as("progress just now").isGreaterThan(SECOND);
    }

    @Test
    void aThrottledChannelSuspendsTheCount() {
        ProgressClock c = ProgressClock.of(Duration.ofSeconds(1));
        c.tick(System.nanoTime() - 5 * SECOND);
        long longAgo = System.nanoTime() - 10 * SECOND;
        assertThat(c.left(longAgo)).isNegative();
        c.throttleBegin();
        assertThat(c.left(longAgo)).as("waiting for bandwidth is not a stall").isEqualTo(SECOND);
        c.throttleEnd(System.nanoTime());
        assertThat(c.left(longAgo)).as("the grant counts as progress").isGreaterThan(SECOND);
    }

    @Test
    void aFrozenClockIgnoresProgress() {
        ProgressClock c = ProgressClock.frozen(SECOND);
        long longAgo = System.nanoTime() - 10 * SECOND;
        c.tick(System.nanoTime());
        c.throttleBegin();
        assertThat(c.left(longAgo)).isNegative();
        assertThatThrownBy(() -> ProgressClock.frozen(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
