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

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link PauseBudget}: the budget is per pause, and only progress begins a new pause. */
class PauseBudgetTest {

    private long now = 1_000;

    @Test
    void attemptsWithoutProgressShareOneBudget() {
        PauseBudget b = new PauseBudget(100, 5_000, () -> now);
        assertThat(b.leftNanos()).isEqualTo(100);
        now += 60;
        assertThat(b.failedWith(5_000)).isFalse();
        assertThat(b.leftNanos()).isEqualTo(40);
        now += 50;
        assertThat(b.failedWith(5_001)).as("more missing is no progress").isFalse();
        assertThat(b.leftNanos()).isNegative();
    }

    @Test
    void aSessionThatMovedPagesBeginsANewPauseWithTheWholeBudget() {
        PauseBudget b = new PauseBudget(100, 5_000, () -> now);
        now += 90;
        assertThat(b.failedWith(4_000)).isTrue();
        assertThat(b.leftNanos()).isEqualTo(100);
        now += 500; // a long resumed session, long past the first pause's end
        assertThat(b.failedWith(1_000)).isTrue();
        assertThat(b.leftNanos()).isEqualTo(100);
        now += 99;
        assertThat(b.failedWith(1_000)).isFalse();
        assertThat(b.leftNanos()).isEqualTo(1);
    }
}
