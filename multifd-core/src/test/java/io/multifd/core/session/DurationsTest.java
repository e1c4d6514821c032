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

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The text of durations in messages: never "0 ms" for a timeout that is not zero. */
class DurationsTest {

    @Test
    void formatsSecondsMillisecondsAndBelow() {
        assertThat(Durations.format(Duration.ofSeconds(30))).isEqualTo("30 s");
        assertThat(Durations.format(Duration.ofMillis(1500))).isEqualTo("1.5 s");
        assertThat(Durations.format(Duration.ofMillis(600))).isEqualTo("600 ms");
        assertThat(Durations.format(Duration.ofNanos(250_000))).isEqualTo("250 us");
        assertThat(Durations.format(Duration.ofNanos(1))).isEqualTo("1 us");
        assertThat(Durations.format(Duration.ZERO)).isEqualTo("0 ms");
        assertThat(Durations.format(-5)).isEqualTo("0 ms");
    }
}
