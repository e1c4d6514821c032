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

import io.multifd.api.MultiFdConfig;
import io.multifd.api.spi.TransportConnector;
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
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * The TLS refusal matrix, each case a real migration attempt over loopback TCP: the side that
 * refuses names the reason (and the certificate), the other side fails too, and no packet
 * reaches the receiving plug-in. One channel, so that the first failure the sender reports is the
 * refusal itself. Every wait is bounded by the handshake and I/O timeouts (3 s). When the
 * receiver refuses, it logs the connection once, goes on accepting, and the real sender then
 * completes into the same receiver; when the sender refuses (an impostor receiver, a receiver
 * name not allowed), the receiver gets nothing and fails at its own accept timeout (4 s here).
 */
@Timeout(60)
class TlsRefusalTest {

    private static final Duration T = Duration.ofSeconds(3);

    @TempDir
    Path dir;

    private final MultiFdConfig config = MultiFdConfig.builder().channels(1).connectTimeout(T).handshakeTimeout(T)
            .ioTimeout(T).acceptTimeout(Duration.ofSeconds(4)).build();
    private final BlobSink sink = new BlobSink();

    /** What each side ended with; {@code dropped} is the receiver's log line for the refused connection. */
    private record Outcome(Throwable sender, Throwable receiver, String dropped) {
        String senderText() {
            return text(sender);
        }

        /** Why the receiver refused: its dropped-connection line, or the failure it ended with. */
        String receiverText() {
            return dropped != null ? dropped : text(receiver);
        }
    }

    static String text(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            sb.append(c.getClass().getSimpleName()).append(": ").append(c.getMessage()).append(" | ");
        }
        return sb.toString();
    }

    private static TransportConnector connector(TcpTransport.Listener tcp, TlsConfig tls) {
        return tls == null ? TcpTransport.connector(tcp.localAddress()) : TlsTransport.tcpConnector(tcp.localAddress(), tls);
    }

    private MultiFdReceiver receiver(TcpTransport.Listener tcp, TlsConfig tls, Duration acceptTimeout) {
        TransportListener listener = tls == null ? tcp : TlsTransport.listener(tcp, tls);
        MultiFdConfig c = MultiFdConfig.builder().channels(1).connectTimeout(T).handshakeTimeout(T).ioTimeout(T)
                .acceptTimeout(acceptTimeout).build();
        return MultiFdReceiver.builder(c, listener).registry(PluginRegistry.builder().build())
                .payload(new BlobPayload(sink)).build().start();
    }

    /** One sender migrating one blob; its failure, or null if it completed. */
    private Throwable send(TransportConnector connector, int blob) {
        try (MultiFdSender sender = MultiFdSender.builder(config, connector).registry(PluginRegistry.builder().build())
                .payload(new BlobPayload()).build()) {
            BlobPayload plugin = sender.payload(BlobPayload.class).orElseThrow();
            BlobClient.declare(sender, plugin);
            return catchThrowable(() -> {
                sender.connect();
                BlobClient c = new BlobClient(sender, plugin);
                c.add(blob, 1, 1000);
                c.flush();
                sender.finish();
            });
        }
    }

    /** The sender the receivers of these tests trust. */
    private TlsConfig real() throws java.io.IOException {
        return TlsFixtures.config(dir, "sender", "receiver").build();
    }

    private static TcpTransport.Listener tcp() {
        return TcpTransport.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    /**
     * A refusal by the sender (the receiver is not the one it trusts): the sender fails, and the
     * receiver gets nothing and fails at its own accept timeout.
     */
    private Outcome migrate(TlsConfig senderTls, TlsConfig receiverTls) throws Exception {
        TcpTransport.Listener tcp = tcp();
        try (MultiFdReceiver receiver = receiver(tcp, receiverTls, Duration.ofSeconds(4))) {
            Throwable sent = send(connector(tcp, senderTls), 1);
            Throwable received = catchThrowable(() -> receiver.await(Duration.ofSeconds(20)));
            assertThat(sink.packets()).as("packets that reached the receiving plug-in").isZero();
            return new Outcome(sent, received, null);
        }
    }

    /**
     * A refusal by the receiver: the refused sender fails and nothing of it arrives; the receiver
     * logs the connection once, goes on accepting, and the real sender ({@code realTls}, or
     * plaintext for null) then completes into the same receiver.
     */
    private Outcome refusedThenReal(TlsConfig refusedTls, TlsConfig receiverTls, TlsConfig realTls,
                                    CapturedLogs logs) throws Exception {
        TcpTransport.Listener tcp = tcp();
        try (MultiFdReceiver receiver = receiver(tcp, receiverTls, Duration.ofSeconds(30))) {
            Throwable refused = send(connector(tcp, refusedTls), 1);
            String dropped = logs.awaitLogged(System.Logger.Level.WARNING, "dropped connection", Duration.ofSeconds(10))
                    .message();
            assertThat(dropped).as("the connection named once, not again by its own error")
                    .doesNotContain(": connection ");
            assertThat(sink.packets()).as("packets of the refused sender").isZero();
            assertThat(receiver.awaitAsync()).as("the receiver goes on accepting").isNotDone();

            assertThat(send(connector(tcp, realTls), 2)).as("the real sender, after the refused one").isNull();
            assertThat(receiver.await(Duration.ofSeconds(20)).channels()).isEqualTo(1);
            assertThat(sink.applied()).as("only the real sender's blob").hasSize(1).containsKey(2L);
            assertThat(sink.corrupt()).isZero();
            assertThat(logs.records(System.Logger.Level.WARNING)).filteredOn(e -> e.message().startsWith("dropped"))
                    .as("the refused connection is logged once").hasSize(1);
            return new Outcome(refused, null, dropped);
        }
    }

    @AfterEach
    void everyThreadEnded() throws InterruptedException {
        assertThat(Threads.awaitNone(5)).isEmpty();
    }

    @Test
    void aClientCertificateTheReceiverDoesNotTrustIsRefused(CapturedLogs logs) throws Exception {
        Outcome o = refusedThenReal(TlsFixtures.config(dir, "other-sender", "receiver").build(),
                TlsFixtures.config(dir, "receiver", "sender").build(), real(), logs);
        assertThat(o.receiverText()).contains("TLS handshake with tcp 127.0.0.1:")
                .contains("the peer's certificate CN=other-sender").contains("is not trusted");
        assertThat(o.senderText()).contains("refused the handshake").contains("does not accept our certificate");
        assertThat(refusedInHandshake(o.sender())).as("a refusal, not damage: %s", o.senderText()).isTrue();
    }

    /** True if the chain holds an {@code SSLHandshakeException}: what a refusal is reported as, however late it came. */
    private static boolean refusedInHandshake(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof javax.net.ssl.SSLHandshakeException) {
                return true;
            }
        }
        return false;
    }

    @Test
    void aSenderWithoutCertificateIsRefused(CapturedLogs logs) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setCertificateEntry("receiver", TlsFixtures.identity("receiver").certificate());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(ks);
        SSLContext noKey = SSLContext.getInstance("TLS");
        noKey.init(null, tmf.getTrustManagers(), null);
        Outcome o = refusedThenReal(TlsConfig.builder().sslContext(noKey).verifyHostName(false).build(),
                TlsFixtures.config(dir, "receiver", "sender").build(), real(), logs);
        assertThat(o.receiverText()).contains("TLS handshake with tcp").contains("the peer presented no certificate");
        assertThat(o.senderText()).contains("refused the handshake");
    }

    @Test
    void anImpostorReceiverGetsNothingAndTheSenderSaysWhy() throws Exception {
        // the impostor trusts the sender and claims the receiver's names, but the sender pinned the real one
        Outcome o = migrate(TlsFixtures.config(dir, "sender", "receiver").build(),
                TlsFixtures.config(dir, "impostor", "sender").build());
        assertThat(o.sender()).isNotNull();
        assertThat(o.senderText()).contains("TLS handshake with tcp 127.0.0.1:")
                .contains("the peer's certificate CN=impostor").contains("is not trusted");
        assertThat(o.receiver()).as("the impostor's migration").isNotNull();
    }

    @Test
    void aReceiverNameNotAllowedBySenderIsRefused() throws Exception {
        Outcome o = migrate(TlsFixtures.config(dir, "sender", "receiver").allowedPeerNames(List.of("receiver-2")).build(),
                TlsFixtures.config(dir, "receiver", "sender").build());
        assertThat(o.senderText()).contains("the peer's certificate CN=receiver")
                .contains("none of the allowed peer names [receiver-2]");
        assertThat(o.receiver()).isNotNull();
    }

    @Test
    void aSenderNameNotAllowedByReceiverIsRefused(CapturedLogs logs) throws Exception {
        Outcome o = refusedThenReal(TlsFixtures.config(dir, "sender", "receiver").build(),
                TlsFixtures.config(dir, "receiver", "sender", "other-sender").allowedPeerNames(List.of("OTHER-sender"))
                        .build(), TlsFixtures.config(dir, "other-sender", "receiver").build(), logs);
        assertThat(o.receiverText()).contains("the peer's certificate CN=sender")
                .contains("none of the allowed peer names [other-sender]");
        // refused during the handshake, so the sender is told by an alert rather than a reset
        assertThat(o.senderText()).contains("refused the handshake").contains("does not accept our certificate");
        assertThat(refusedInHandshake(o.sender())).as("a refusal: %s", o.senderText()).isTrue();
    }

    @Test
    void aPlaintextSenderIntoATlsReceiverIsRefused(CapturedLogs logs) throws Exception {
        Outcome o = refusedThenReal(null, TlsFixtures.config(dir, "receiver", "sender").build(), real(), logs);
        assertThat(o.receiverText()).contains("TLS handshake with tcp").contains("the peer does not speak TLS");
        assertThat(o.sender()).isNotNull();
    }

    @Test
    void aTlsSenderIntoAPlaintextReceiverFails(CapturedLogs logs) throws Exception {
        // the plaintext receiver drops the TLS client and then takes a plaintext sender
        Outcome o = refusedThenReal(TlsFixtures.config(dir, "sender", "receiver").build(), null, null, logs);
        assertThat(o.senderText()).contains("TLS handshake with tcp 127.0.0.1:")
                .containsAnyOf("the peer does not speak TLS", "the peer closed the connection during the TLS handshake");
        assertThat(o.receiverText()).as("the plaintext receiver reads a TLS ClientHello as a bad hello")
                .contains("hello.magic");
    }

    @Test
    void anExpiredCertificateIsRefused(CapturedLogs logs) throws Exception {
        Outcome o = refusedThenReal(TlsFixtures.config(dir, "expired", "receiver").build(),
                TlsFixtures.config(dir, "receiver", "expired", "sender").build(), real(), logs);
        assertThat(o.receiverText()).contains("the peer's certificate CN=expired").contains("expired on 2020-01-03");
        assertThat(o.sender()).isNotNull();
    }
}
