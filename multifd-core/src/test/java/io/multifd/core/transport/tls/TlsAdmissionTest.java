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
package io.multifd.core.transport.tls;

import io.multifd.api.MigrationStats;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.spi.TransportChannel;
import io.multifd.api.spi.TransportListener;
import io.multifd.core.MultiFdReceiver;
import io.multifd.core.MultiFdSender;
import io.multifd.core.PluginRegistry;
import io.multifd.core.testkit.Threads;
import io.multifd.core.transport.TcpTransport;
import io.multifd.testing.BlobClient;
import io.multifd.testing.BlobPayload;
import io.multifd.testing.BlobSink;
import io.multifd.testing.logging.CapturedLogs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A TLS client the receiver does not trust is dropped (logged once, nothing written) and the
 * receiver goes on accepting: the real sender, arriving after it, completes.
 */
@Timeout(60)
class TlsAdmissionTest {

    private static final Duration T = Duration.ofSeconds(3);

    @TempDir
    Path dir;

    private final MultiFdConfig config = MultiFdConfig.builder().channels(2).connectTimeout(T).handshakeTimeout(T)
            .ioTimeout(T).build();
    private final BlobSink sink = new BlobSink();

    @AfterEach
    void everyThreadEnded() throws InterruptedException {
        assertThat(Threads.awaitNone(5)).isEmpty();
    }

    private Throwable send(TcpTransport.Listener tcp, TlsConfig tls) {
        try (MultiFdSender sender = MultiFdSender.builder(config, TlsTransport.tcpConnector(tcp.localAddress(), tls))
                .registry(PluginRegistry.builder().build()).payload(new BlobPayload()).build()) {
            BlobPayload plugin = sender.payload(BlobPayload.class).orElseThrow();
            BlobClient.declare(sender, plugin);
            return catchThrowable(() -> {
                sender.connect();
                BlobClient c = new BlobClient(sender, plugin);
                for (int i = 0; i < 50; i++) {
                    c.add(i, 1, 1000);
                }
                c.flush();
                sender.finish();
            });
        }
    }

    @Test
    void anUntrustedClientIsDroppedAndTheRealSenderThenCompletes(CapturedLogs logs) throws Exception {
        TcpTransport.Listener tcp = TcpTransport.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        TransportListener listener = TlsTransport.listener(tcp, TlsFixtures.config(dir, "receiver", "sender").build());
        try (MultiFdReceiver receiver = MultiFdReceiver.builder(config, listener)
                .registry(PluginRegistry.builder().build()).payload(new BlobPayload(sink)).build().start()) {
            Throwable impostor = send(tcp, TlsFixtures.config(dir, "other-sender", "receiver").build());
            assertThat(impostor).as("the impostor's migration").isNotNull();
            assertThat(logs.awaitLogged(System.Logger.Level.WARNING, "CN=other-sender", Duration.ofSeconds(10))
                    .message()).startsWith("dropped connection ").contains("is not trusted");
            assertThat(sink.packets()).as("packets written for the impostor").isZero();
            assertThat(receiver.awaitAsync()).as("the receiver goes on accepting").isNotDone();

            assertThat(send(tcp, TlsFixtures.config(dir, "sender", "receiver").build())).isNull();
            MigrationStats received = receiver.await(Duration.ofSeconds(20));
            assertThat(received.channels()).isEqualTo(2);
            assertThat(sink.applied()).hasSize(50);
            assertThat(sink.corrupt()).isZero();
        }
    }

    @Test
    void aTrustedPeerThatNeverJoinsFixesNoIdentity(CapturedLogs logs) throws Exception {
        TcpTransport.Listener tcp = TcpTransport.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        TransportListener listener = TlsTransport.listener(tcp,
                TlsFixtures.config(dir, "receiver", "sender", "other-sender").build());
        try (MultiFdReceiver receiver = MultiFdReceiver.builder(config, listener)
                .registry(PluginRegistry.builder().build()).payload(new BlobPayload(sink)).build().start()) {
            // trusted, completes its TLS handshake, then sends no valid hello
            try (TransportChannel stray = TlsTransport.tcpConnector(tcp.localAddress(),
                    TlsFixtures.config(dir, "other-sender", "receiver").build()).connect(0, T)) {
                stray.write(ByteBuffer.allocate(64));
                assertThat(logs.awaitLogged(System.Logger.Level.WARNING, "dropped connection", Duration.ofSeconds(10))
                        .message()).contains("hello.magic");
            }

            assertThat(send(tcp, TlsFixtures.config(dir, "sender", "receiver").build()))
                    .as("the real sender, whose identity differs from the stray's").isNull();
            MigrationStats received = receiver.await(Duration.ofSeconds(20));
            assertThat(received.channels()).isEqualTo(2);
            assertThat(sink.applied()).hasSize(50);
            assertThat(sink.corrupt()).isZero();
        }
    }
}
