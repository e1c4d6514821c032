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
package io.multifd.core.transport;

import io.multifd.api.ChannelTimeoutException;
import io.multifd.api.spi.ConnectionRefusedException;
import io.multifd.api.spi.TransportChannel;
import io.multifd.api.spi.TransportListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.stream.Stream;
import java.time.Duration;
import java.util.concurrent.FutureTask;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A sender may start before the receiver created its socket file: a missing file is retried like a
 * refusal. The socket file is created mode 0600 whatever the umask, and an allow-list of peer
 * users closes other peers at once.
 */
@Timeout(30)
class UnixTransportTest {

    @TempDir
    Path dir;

    @Test
    void aMissingSocketFileIsRetriedUntilTheTimeout() {
        Path socket = dir.resolve("not-yet.sock");
        assertThatThrownBy(() -> UnixTransport.connector(socket).connect(0, Duration.ofMillis(200)))
                .isInstanceOf(ChannelTimeoutException.class)
                .hasMessageContaining("could not connect to unix " + socket + " within 200 ms")
                .hasMessageContaining("no socket file yet");
    }

    @Test
    void aSocketFileThatAppearsWhileRetryingIsConnected() throws Exception {
        Path socket = dir.resolve("later.sock");
        // its own thread, not the common pool: a pool task blocked elsewhere must not delay it
        FutureTask<TransportChannel> connecting = new FutureTask<>(
                () -> UnixTransport.connector(socket).connect(0, Duration.ofSeconds(20)));
        Thread connector = new Thread(connecting, "unix-connect-test");
        connector.start();
        try (TransportListener listener = UnixTransport.listen(socket);
             TransportChannel accepted = listener.accept(Duration.ofSeconds(20));
             TransportChannel connected = connecting.get()) {
            connected.write(ByteBuffer.wrap(new byte[]{42}));
            ByteBuffer one = ByteBuffer.allocate(1);
            assertThat(accepted.read(one)).isEqualTo(1);
            assertThat(one.get(0)).isEqualTo((byte) 42);
        }
        connector.join();
    }

    @Test
    void theSocketFileIsMode0600AndNoPrivateDirectoryIsLeftBehind() throws Exception {
        Path socket = dir.resolve("private.sock");
        try (UnixTransport.Listener listener = UnixTransport.listen(socket)) {
            assertThat(Files.getPosixFilePermissions(socket, LinkOption.NOFOLLOW_LINKS))
                    .isEqualTo(PosixFilePermissions.fromString("rw-------"));
            try (Stream<Path> files = Files.list(dir)) {
                assertThat(files).containsExactly(socket);
            }
            assertThat(listener.localAddress()).isEqualTo(UnixDomainSocketAddress.of(socket));
            try (SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                client.connect(UnixDomainSocketAddress.of(socket));
                try (TransportChannel accepted = listener.accept(Duration.ofSeconds(20))) {
                    String me = UnixTransport.peerCredentials(client).orElseThrow().user().getName();
                    assertThat(accepted.description()).isEqualTo("unix " + socket + " (peer user " + me + ")");
                }
            }
        }
        assertThat(socket).doesNotExist();
    }

    @Test
    void aPeerWhoseUserIsNotAllowedIsClosedAndTheListenerGoesOnAccepting() throws Exception {
        Path socket = dir.resolve("allow.sock");
        try (UnixTransport.Listener listener = UnixTransport.listen(socket, Set.of("no-such-user-multifd"));
             SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            client.connect(UnixDomainSocketAddress.of(socket));
            assertThatThrownBy(() -> listener.accept(Duration.ofSeconds(20)))
                    .isInstanceOf(ConnectionRefusedException.class)
                    .hasMessageMatching("peer user '.+' is not among the allowed users \\[no-such-user-multifd\\]")
                    .satisfies(e -> assertThat(((ConnectionRefusedException) e).connection()).startsWith("unix "));
            assertThat(client.read(ByteBuffer.allocate(1))).as("closed by the listener").isEqualTo(-1);
            assertThatThrownBy(() -> listener.accept(Duration.ofMillis(200)))
                    .as("the listener goes on: nothing else arrived").isInstanceOf(ChannelTimeoutException.class);
        }
        Path socket2 = dir.resolve("allow2.sock");
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            String me;
            try (UnixTransport.Listener first = UnixTransport.listen(dir.resolve("who.sock"))) {
                probe.connect(UnixDomainSocketAddress.of(dir.resolve("who.sock")));
                me = UnixTransport.peerCredentials(probe).orElseThrow().user().getName();
            }
            try (UnixTransport.Listener listener = UnixTransport.listen(socket2, Set.of(me));
                 SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                assertThat(listener.allowedUsers()).containsExactly(me);
                client.connect(UnixDomainSocketAddress.of(socket2));
                try (TransportChannel accepted = listener.accept(Duration.ofSeconds(20))) {
                    client.write(ByteBuffer.wrap(new byte[]{7}));
                    ByteBuffer one = ByteBuffer.allocate(1);
                    assertThat(accepted.read(one)).isEqualTo(1);
                    assertThat(one.get(0)).isEqualTo((byte) 7);
                }
            }
        }
    }
}
