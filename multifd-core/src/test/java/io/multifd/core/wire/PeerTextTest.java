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
package io.multifd.core.wire;

import io.multifd.api.ProtocolCode;
import io.multifd.api.spi.PeerText;
import io.multifd.api.RemoteFailureException;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Peer text reaches messages and logs escaped: only printable ASCII, capped. */
class PeerTextTest {

    private static final String HOSTILE = "disk \u001b[31mfull\r\nFAKE LOG LINE\u0000\u007f 'q' \"qq\" caf\u00e9 \u202e";

    @Test
    void controlCharactersDelAndNonAsciiAreEscapedAndQuotesKept() {
        assertThat(PeerText.escape(HOSTILE)).isEqualTo(
                "disk \\x1b[31mfull\\x0d\\x0aFAKE LOG LINE\\x00\\x7f 'q' \"qq\" caf\\u00e9 \\u202e");
        assertThat(PeerText.escape("plain text, kept")).isEqualTo("plain text, kept");
        assertThat(PeerText.escape(null)).isEqualTo("null");
    }

    @Test
    void longTextIsCutAndTheRestCounted() {
        String s = "a".repeat(PeerText.MAX_CHARS + 55);
        assertThat(PeerText.escape(s)).isEqualTo("a".repeat(PeerText.MAX_CHARS) + "...(55 more)");
        assertThat(PeerText.escape("b".repeat(PeerText.MAX_CHARS))).isEqualTo("b".repeat(PeerText.MAX_CHARS));
    }

    @Test
    void aReplyMessageFromThePeerIsReadEscaped() throws Exception {
        ByteBuffer wire = Reply.failure(Wire.REPLY_ERROR, ProtocolCode.ABORTED, HOSTILE).encode();
        byte[] bytes = new byte[wire.remaining()];
        wire.get(bytes);
        Reply r = Reply.read(ByteSource.of(bytes, 0));
        assertThat(r.message()).isEqualTo(PeerText.escape(HOSTILE, Wire.MAX_REPLY_MESSAGE)).doesNotContain("\n", "\r", "\u001b", "\u0000");
    }

    @Test
    void anAbortReasonWithControlCharactersArrivesEscaped() {
        byte[] reason = "bad\u001b]0;owned\u0007\nline\r\u0000".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> PacketReaderTest.abortReader(reason).control())
                .isInstanceOfSatisfying(RemoteFailureException.class, e -> assertThat(e.getMessage())
                        .isEqualTo("the sender aborted: bad\\x1b]0;owned\\x07\\x0aline\\x0d\\x00"));
    }

    @Test
    void aBackslashIsDoubledSoAPeerCannotTypeAnEscape() {
        assertThat(PeerText.escape("back\\x41")).isEqualTo("back\\\\x41");
        assertThat(PeerText.escape("\u001b")).isEqualTo("\\x1b");
    }
}
