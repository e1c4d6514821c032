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
import io.multifd.api.spi.TransportConnector;
import io.multifd.api.spi.TransportListener;
import io.multifd.core.MultiFdReceiver;
import io.multifd.core.MultiFdSender;
import io.multifd.core.PluginRegistry;
import io.multifd.core.testkit.RawClient;
import io.multifd.core.testkit.Threads;
import io.multifd.core.transport.TcpTransport;
import io.multifd.testing.BlobClient;
import io.multifd.testing.BlobPayload;
import io.multifd.testing.BlobSink;
import io.multifd.testing.logging.CapturedLogs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

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
        return send(config, tcp, tls);
    }

    /** Migrates 50 blobs; returns what failed, or null. */
    private Throwable send(MultiFdConfig cfg, TcpTransport.Listener tcp, TlsConfig tls) {
        try (MultiFdSender sender = MultiFdSender.builder(cfg, TlsTransport.tcpConnector(tcp.localAddress(), tls))
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
    /**
     * A TLS sender arriving while silent strays fill the receiver's cap is closed before any TLS
     * byte: it connects again within its connect timeout and completes once the strays are gone,
     * as a plaintext sender does (a refused certificate, answered after the receiver's half of
     * the handshake, is not retried: see the untrusted-client test above).
     */
    @Test
    void aTlsSenderDroppedBecauseTheCapIsFullConnectsAgain(CapturedLogs logs) throws Exception {
        MultiFdConfig cfg = MultiFdConfig.builder().channels(2).maxPendingConnections(2)
                .handshakeTimeout(Duration.ofSeconds(30)).connectTimeout(Duration.ofSeconds(30)).build();
        TcpTransport.Listener tcp = TcpTransport.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        TransportListener listener = TlsTransport.listener(tcp, TlsFixtures.config(dir, "receiver", "sender").build());
        try (MultiFdReceiver receiver = MultiFdReceiver.builder(cfg, listener)
                .registry(PluginRegistry.builder().build()).payload(new BlobPayload(sink)).build().start();
             java.net.Socket first = stray(tcp); java.net.Socket second = stray(tcp)) {
            TlsConfig identity = TlsFixtures.config(dir, "sender", "receiver").build();
            java.util.concurrent.CompletableFuture<Throwable> migration =
                    java.util.concurrent.CompletableFuture.supplyAsync(() -> send(cfg, tcp, identity));
            logs.awaitLogged(System.Logger.Level.WARNING, "maxPendingConnections", Duration.ofSeconds(20));
            assertThat(migration).as("the sender, dropped by the full cap").isNotDone();
            first.close();
            second.close();
            assertThat(migration.get(60, java.util.concurrent.TimeUnit.SECONDS)).isNull();
            assertThat(receiver.await(Duration.ofSeconds(20)).channels()).isEqualTo(2);
            assertThat(sink.applied()).hasSize(50);
            assertThat(sink.corrupt()).isZero();
        }
    }

    /** While the cap stays full past the connect timeout, the TLS sender fails saying why. */
    @Test
    void aTlsSenderKeptOutByAFullCapFailsNamingIt(CapturedLogs logs) throws Exception {
        MultiFdConfig cfg = MultiFdConfig.builder().channels(1).maxPendingConnections(1)
                .handshakeTimeout(Duration.ofSeconds(30)).connectTimeout(Duration.ofSeconds(1)).build();
        TcpTransport.Listener tcp = TcpTransport.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        TransportListener listener = TlsTransport.listener(tcp, TlsFixtures.config(dir, "receiver", "sender").build());
        try (MultiFdReceiver receiver = MultiFdReceiver.builder(cfg, listener)
                .registry(PluginRegistry.builder().build()).payload(new BlobPayload(sink)).build().start();
             java.net.Socket stray = stray(tcp)) {
            // the stray, connected first, is accepted first and holds the only slot
            Throwable failure = send(cfg, tcp, TlsFixtures.config(dir, "sender", "receiver").build());
            assertThat(failure).isNotNull();
            assertThat(failure).rootCause().isInstanceOf(io.multifd.api.spi.ConnectionDroppedException.class);
            assertThat(failure.getMessage()).contains("earlier connections before answering")
                    .contains("pending connections full");
            assertThat(receiver.awaitAsync()).as("the receiver goes on accepting").isNotDone();
            assertThat(sink.packets()).isZero();
        }
    }

    /**
     * The stray mix of the trust issue while a real migration joins, with and without TLS: 50
     * connections that close at once, 10 that stay silent, 10 that send random bytes, and, between
     * the real sender's channels, a valid hello of another session (over TLS: from a trusted
     * identity). The migration completes byte-exact and each stray is logged exactly once.
     */
    @ParameterizedTest(name = "tls={0}")
    @ValueSource(booleans = {false, true})
    void theStrayMixWhileTheRealMigrationJoins(boolean tls, CapturedLogs logs) throws Exception {
        MultiFdConfig cfg = MultiFdConfig.builder().channels(3).connectTimeout(T).ioTimeout(T)
                .handshakeTimeout(Duration.ofSeconds(30)).build();
        TcpTransport.Listener tcp = TcpTransport.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        TransportListener listener = tls
                ? TlsTransport.listener(tcp, TlsFixtures.config(dir, "receiver", "sender").build()) : tcp;
        TransportConnector real = tls
                ? TlsTransport.tcpConnector(tcp.localAddress(), TlsFixtures.config(dir, "sender", "receiver").build())
                : TcpTransport.connector(tcp.localAddress());
        List<java.net.Socket> silent = new ArrayList<>();
        List<java.net.Socket> others = new ArrayList<>();
        try (MultiFdReceiver receiver = MultiFdReceiver.builder(cfg, listener)
                .registry(PluginRegistry.builder().build()).payload(new BlobPayload(sink)).build().start()) {
            for (int i = 0; i < 10; i++) {
                silent.add(stray(tcp));
            }
            java.util.Random random = new java.util.Random(7);
            for (int i = 0; i < 10; i++) {
                java.net.Socket s = stray(tcp);
                byte[] junk = new byte[64];
                random.nextBytes(junk);
                s.getOutputStream().write(junk);
                others.add(s);
            }
            for (int i = 0; i < 50; i++) {
                java.net.Socket s = stray(tcp);
                s.close();
                others.add(s);
            }
            for (java.net.Socket s : others) {
                droppedOnce(logs, s);
            }
            // the real sender; once its first two channels are in (each read its HELLO_ACCEPT), and
            // before its last one, a hello of another session arrives
            java.util.concurrent.CountDownLatch firstTwoIn = new java.util.concurrent.CountDownLatch(2);
            TransportConnector interleaved = new TransportConnector() {
                @Override
                public TransportChannel connect(int channelId, Duration timeout) throws java.io.IOException {
                    if (channelId < 2) {
                        return new FirstReadSignal(real.connect(channelId, timeout), firstTwoIn);
                    }
                    try {
                        assertThat(firstTwoIn.await(20, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
                    } catch (InterruptedException e) {
                        throw new java.io.InterruptedIOException();
                    }
                    if (channelId == 2) {
                        try (RawClient other = RawClient.connect(real, 0)) {
                            other.hello(io.multifd.api.SessionId.random(), 0, 3, 0, "");
                            assertThat(logs.awaitLogged(System.Logger.Level.WARNING, "SESSION_MISMATCH",
                                    Duration.ofSeconds(20)).message()).startsWith("dropped connection ");
                        } catch (InterruptedException e) {
                            throw new java.io.InterruptedIOException();
                        }
                    }
                    return real.connect(channelId, timeout);
                }

                @Override
                public String description() {
                    return real.description();
                }
            };
            try (MultiFdSender sender = MultiFdSender.builder(cfg, interleaved)
                    .registry(PluginRegistry.builder().build()).payload(new BlobPayload()).build()) {
                BlobPayload plugin = sender.payload(BlobPayload.class).orElseThrow();
                BlobClient.declare(sender, plugin);
                sender.connect();
                BlobClient c = new BlobClient(sender, plugin);
                for (int i = 0; i < 200; i++) {
                    c.add(i, 1, 1500);
                }
                c.flush();
                MigrationStats sent = sender.finish();
                MigrationStats received = receiver.await(Duration.ofSeconds(30));
                assertThat(received.rawBytes()).isEqualTo(sent.rawBytes());
            }
            assertThat(sink.applied()).hasSize(200);
            assertThat(sink.corrupt()).as("blobs whose bytes differ").isZero();
            for (java.net.Socket s : silent) {
                assertThat(s.getInputStream().read()).as("a silent stray is closed once every channel is in")
                        .isEqualTo(-1);
                droppedOnce(logs, s);
            }
            for (java.net.Socket s : others) {
                droppedOnce(logs, s);
            }
            assertThat(logs.records(System.Logger.Level.WARNING)).filteredOn(e -> e.message().contains("SESSION_MISMATCH"))
                    .as("the other session's hello, logged once").hasSize(1);
        } finally {
            for (java.net.Socket s : silent) {
                s.close();
            }
            tcp.close();
        }
    }

    /** A channel that counts a latch down once, when its first read returned bytes. */
    private static final class FirstReadSignal implements TransportChannel {
        private final TransportChannel inner;
        private final java.util.concurrent.CountDownLatch latch;
        private volatile boolean signalled;

        FirstReadSignal(TransportChannel inner, java.util.concurrent.CountDownLatch latch) {
            this.inner = inner;
            this.latch = latch;
        }

        private <N extends Number> N signal(N n) {
            if (n.longValue() > 0 && !signalled) {
                signalled = true;
                latch.countDown();
            }
            return n;
        }

        @Override
        public int read(ByteBuffer dst) throws java.io.IOException {
            return signal(inner.read(dst));
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws java.io.IOException {
            return signal(inner.read(dsts, offset, length));
        }

        @Override
        public long read(ByteBuffer[] dsts) throws java.io.IOException {
            return signal(inner.read(dsts));
        }

        @Override
        public int write(ByteBuffer src) throws java.io.IOException {
            return inner.write(src);
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws java.io.IOException {
            return inner.write(srcs, offset, length);
        }

        @Override
        public long write(ByteBuffer[] srcs) throws java.io.IOException {
            return inner.write(srcs);
        }

        @Override
        public void shutdownOutput() throws java.io.IOException {
            inner.shutdownOutput();
        }

        @Override
        public boolean isOpen() {
            return inner.isOpen();
        }

        @Override
        public void close() throws java.io.IOException {
            inner.close();
        }

        @Override
        public String description() {
            return inner.description();
        }
    }

    private static java.net.Socket stray(TcpTransport.Listener tcp) throws java.io.IOException {
        java.net.Socket s = new java.net.Socket(InetAddress.getLoopbackAddress(), tcp.localAddress().getPort());
        s.setSoTimeout(20_000); // bounds the reads: a receiver that never closes fails the test
        return s;
    }

    /** The one WARNING line naming the stray's port, waiting for it; fails if there are more. */
    private static void droppedOnce(CapturedLogs logs, java.net.Socket s) throws InterruptedException {
        String needle = "127.0.0.1:" + s.getLocalPort() + ":";
        assertThat(logs.awaitLogged(System.Logger.Level.WARNING, needle, Duration.ofSeconds(20)).message())
                .startsWith("dropped connection ");
        assertThat(logs.records(System.Logger.Level.WARNING)).filteredOn(e -> e.message().contains(needle))
                .as("log lines for the stray " + needle).hasSize(1);
    }
}
