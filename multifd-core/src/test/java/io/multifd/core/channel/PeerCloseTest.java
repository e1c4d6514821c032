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

import io.multifd.api.ChannelTimeoutException;
import io.multifd.api.MultiFdException;
import io.multifd.api.ProtocolCode;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketException;

import static org.assertj.core.api.Assertions.assertThat;

/** The one classification of "the peer closed the connection" that the plaintext and TLS paths share. */
class PeerCloseTest {

    @Test
    void endOfStreamResetAndBrokenPipeAreCloses() {
        assertThat(PeerClose.closedByPeer(new EOFException("end of stream"))).isTrue();
        assertThat(PeerClose.closedByPeer(new SocketException("Connection reset"))).isTrue();
        // NIO reports a write to a closed peer as a plain IOException, not a SocketException
        assertThat(PeerClose.closedByPeer(new IOException("Broken pipe"))).isTrue();
        assertThat(PeerClose.closedByPeer(new IOException("Connection reset by peer"))).isTrue();
    }

    @Test
    void aTransportErrorIsJudgedByWhatItWraps() {
        assertThat(PeerClose.closedByPeer(new MultiFdException(ProtocolCode.TRANSPORT, "write failed",
                new IOException("Broken pipe")))).isTrue();
        assertThat(PeerClose.closedByPeer(new MultiFdException(ProtocolCode.TRANSPORT, "read failed",
                new IOException("No route to host")))).isFalse();
        assertThat(PeerClose.closedByPeer(new MultiFdException(ProtocolCode.MALFORMED, "Connection reset",
                new EOFException()))).as("only TRANSPORT wraps a plain I/O failure").isFalse();
    }

    @Test
    void tlsFailuresTimeoutsAndOthersAreNot() {
        assertThat(PeerClose.closedByPeer(new SSLException("Connection reset"))).isFalse();
        assertThat(PeerClose.closedByPeer(new SSLHandshakeException("Received fatal alert: bad_certificate")))
                .isFalse();
        assertThat(PeerClose.closedByPeer(new ChannelTimeoutException("no reply within 10000 ms"))).isFalse();
        assertThat(PeerClose.closedByPeer(new IOException((String) null))).isFalse();
        assertThat(PeerClose.closedByPeer(new IllegalStateException("Broken pipe"))).isFalse();
        assertThat(PeerClose.closedByPeer(null)).isFalse();
    }
}
