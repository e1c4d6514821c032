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

import static org.assertj.core.api.Assertions.assertThat;

class PeerTextTest {

    @Test
    void printableAsciiIsKept() {
        assertThat(PeerText.escape("channel 3: bad codec 'zstd'")).isEqualTo("channel 3: bad codec 'zstd'");
    }

    @Test
    void controlCharactersAndNonAsciiBecomeHexBytes() {
        assertThat(PeerText.escape("a\nb\r\u001b[31m")).isEqualTo("a\\x0Ab\\x0D\\x1B[31m");
        assertThat(PeerText.escape("\u00e9\u007f")).isEqualTo("\\xC3\\xA9\\x7F");
        assertThat(PeerText.escape("\uD83D\uDE00")).isEqualTo("\\xF0\\x9F\\x98\\x80");
        assertThat(PeerText.escape("back\\x41")).isEqualTo("back\\\\x41");
        assertThat(PeerText.escape(null)).isEqualTo("null");
    }

    @Test
    void longTextIsCut() {
        String s = PeerText.escape("x".repeat(5000));
        assertThat(s).hasSize(PeerText.MAX_LENGTH + 3).endsWith("...");
    }
}
