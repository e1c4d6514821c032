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
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(10)
class SizesTest {

    @ParameterizedTest
    @CsvSource({"4096,4096", "4K,4096", "4k,4096", "512M,536870912", "1G,1073741824", "2T,2199023255552",
            "64MiB,67108864", "64mb,67108864", "1B,1", "0,0", " 8M ,8388608", "3000,3000"})
    void parsesWhatTheHelpPromises(String text, long bytes) {
        assertThat(Sizes.parse(text)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "M", "12Q", "1.5G", "-1", "1 G", "0x10", "G1", "99999999999999999999", "8388608T"})
    void refusesWithOneLineThatShowsExamples(String text) {
        assertThatThrownBy(() -> Sizes.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not a size")
                .hasMessageContaining("512M")
                .hasMessageNotContaining("\n");
    }

    @Test
    void printsForPeopleAndCompactly() {
        assertThat(Sizes.human(100)).isEqualTo("100 B");
        assertThat(Sizes.human(1L << 30)).isEqualTo("1.00 GiB");
        assertThat(Sizes.human(512L << 20)).isEqualTo("512 MiB");
        assertThat(Sizes.human(64L << 20)).isEqualTo("64.0 MiB");
        assertThat(Sizes.compact(1L << 30)).isEqualTo("1G");
        assertThat(Sizes.compact(4097)).isEqualTo("4097");
        assertThat(Sizes.parse(Sizes.compact(3L << 20))).isEqualTo(3L << 20);
    }
}
